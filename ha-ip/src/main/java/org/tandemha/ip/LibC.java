package org.tandemha.ip;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few libc socket calls this module needs, through JNA. Structures are passed as byte arrays. */
interface LibC extends Library {
    int AF_PACKET = 17;
    int AF_NETLINK = 16;
    int AF_INET = 2;
    int AF_INET6 = 10;
    int SOCK_RAW = 3;
    int SOCK_DGRAM = 2;
    int SOCK_CLOEXEC = 0x80000;
    int POLLIN = 1;

    int EPERM = 1;
    int ENOENT = 2;
    int EINTR = 4;
    int EAGAIN = 11;
    int EACCES = 13;
    int EEXIST = 17;
    int ENODEV = 19;
    int EINVAL = 22;
    int ERANGE = 34;
    int EOPNOTSUPP = 95;
    int EAFNOSUPPORT = 97;
    int EADDRNOTAVAIL = 99;
    int ENETDOWN = 100;
    int ENOBUFS = 105;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, byte[] addr, int addrlen) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int len) throws LastErrorException;

    long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) throws LastErrorException;

    long recvfrom(int fd, byte[] buf, long len, int flags, byte[] addr, int[] addrlen) throws LastErrorException;

    int poll(byte[] fds, long nfds, int timeoutMillis) throws LastErrorException;

    int close(int fd);

    /** Loads libc, or explains why it cannot. */
    static LibC load() throws NetException {
        try {
            return Holder.INSTANCE;
        } catch (LinkageError | IllegalStateException e) {
            throw new NetException(0, "cannot load libc through JNA (" + e + "); check that jna is on the class path and"
                    + " that the JVM may load native libraries");
        }
    }

    /** Lazy holder, so that a JNA problem surfaces as a clear error at first use, not at class loading. */
    final class Holder {
        static final LibC INSTANCE = Native.load("c", LibC.class);

        private Holder() {
        }
    }
}
