package org.tandemha.heartbeat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.FixedRecvByteBufAllocator;

/**
 * One direct buffer a UDP path's channel reads into or sends from again and again, instead of a new one each time.
 * Without it, every datagram read allocated (and zeroed) a 60 KB direct buffer and every heartbeat sent another, each
 * freed through the JDK's cleaner by reflection: about a third of an idle node's heartbeat thread. Handed out as a
 * retained duplicate only while nobody else holds it (a send still queued behind a full socket buffer does): then a
 * fresh buffer, as before. Event loop only: the channel's own thread is the only one that takes and releases it.
 */
final class ReusedBuffer {
    private final int maxCapacity;
    private ByteBuf buf;

    ReusedBuffer(int maxCapacity) {
        this.maxCapacity = maxCapacity;
    }

    /** A buffer with room for {@code len} bytes, empty; the caller (or Netty) releases it. */
    ByteBuf take(ByteBufAllocator alloc, int len) {
        if (buf != null && buf.refCnt() == 1 && buf.capacity() >= len) {
            return buf.retainedDuplicate().clear();
        }
        if (buf == null || buf.refCnt() == 1) {
            if (buf != null) {
                buf.release();
            }
            // the next power of two (at least 256: a heartbeat is ~210 bytes), at most the limit, never below len
            int cap = Math.max(len, Math.min(maxCapacity, Integer.highestOneBit(Math.max(len, 256) - 1) << 1));
            buf = alloc.directBuffer(cap, cap);
            return buf.retainedDuplicate().clear();
        }
        return alloc.directBuffer(len);
    }

    /** Gives the buffer back; a duplicate still held keeps it until released. */
    void release() {
        if (buf != null) {
            buf.release();
            buf = null;
        }
    }

    /** A fixed-size receive allocator that reads every datagram into one reused buffer. */
    static final class Recv extends FixedRecvByteBufAllocator {
        final int size;
        final ReusedBuffer buffer;

        Recv(int size) {
            super(size);
            this.size = size;
            this.buffer = new ReusedBuffer(size);
        }

        @Override
        @SuppressWarnings("deprecation") // Netty 4.1's signature (Handle); the handle is an ExtendedHandle
        public Handle newHandle() {
            return new MaxMessageHandle() {
                @Override
                public int guess() {
                    return size;
                }

                @Override
                public ByteBuf allocate(ByteBufAllocator alloc) {
                    return buffer.take(alloc, size);
                }
            };
        }
    }
}
