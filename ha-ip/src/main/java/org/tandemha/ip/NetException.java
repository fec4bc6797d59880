package org.tandemha.ip;

/**
 * A failed kernel call, with the errno and a sentence an operator can act on.
 */
final class NetException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    NetException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }

    boolean permissionDenied() {
        return errno == LibC.EPERM || errno == LibC.EACCES;
    }

    /** Builds the message for an errno returned while doing {@code what}; {@code kernelText} is the extended ack. */
    static NetException of(int errno, String what, String kernelText) {
        String meaning = switch (errno) {
            case LibC.EPERM, LibC.EACCES -> "permission denied: run the node as root or give it CAP_NET_ADMIN and"
                    + " CAP_NET_RAW";
            case LibC.ENODEV -> "no such interface: check the interface name with 'ip link'";
            case LibC.EEXIST -> "the address exists already";
            case LibC.EADDRNOTAVAIL -> "the address is not on that interface";
            case LibC.EINVAL -> "the kernel rejected the request as invalid";
            case LibC.EAFNOSUPPORT -> "this address family is not supported here (is IPv6 disabled?)";
            case LibC.EOPNOTSUPP -> "the operation is not supported on this interface";
            case LibC.ENETDOWN -> "the interface is down: bring it up with 'ip link set <if> up'";
            case LibC.ENOBUFS -> "the kernel is out of buffer space";
            default -> "errno " + errno;
        };
        String extra = kernelText == null || kernelText.isBlank() ? "" : " (kernel: " + kernelText + ")";
        return new NetException(errno, what + ": " + meaning + extra);
    }
}
