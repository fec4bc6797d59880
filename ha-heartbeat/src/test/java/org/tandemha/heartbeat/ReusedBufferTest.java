package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class ReusedBufferTest {
    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);

    @Test
    void theSameMemoryAgainOnceReleasedAFreshBufferWhileHeldAndALargerOneWhenNeeded() {
        ReusedBuffer r = new ReusedBuffer(FrameCodec.MAX_FRAME);
        ByteBuf a = r.take(alloc, 210);
        a.writeBytes(new byte[210]);
        long address = a.memoryAddress();
        ByteBuf held = r.take(alloc, 210);            // a still queued (not released): not the same memory
        assertThat(held.memoryAddress()).isNotEqualTo(address);
        held.release();
        a.release();
        ByteBuf again = r.take(alloc, 100);
        assertThat(again.memoryAddress()).isEqualTo(address);
        assertThat(again.readableBytes()).isZero();   // empty, whatever the last user wrote
        assertThat(again.writableBytes()).isGreaterThanOrEqualTo(100);
        again.release();
        ByteBuf big = r.take(alloc, 5000);            // larger than the reused one: replaced, and reused from then on
        assertThat(big.writableBytes()).isGreaterThanOrEqualTo(5000);
        long bigAddress = big.memoryAddress();
        big.release();
        ByteBuf next = r.take(alloc, 210);
        assertThat(next.memoryAddress()).isEqualTo(bigAddress);
        next.release();
        r.release();
    }

    @Test
    void theReceiveAllocatorHandsOutTheWholeFrameSizeEachRead() {
        ReusedBuffer.Recv recv = new ReusedBuffer.Recv(FrameCodec.MAX_FRAME + 1);
        var handle = recv.newHandle();
        ByteBuf b1 = handle.allocate(alloc);
        assertThat(b1.writableBytes()).isEqualTo(FrameCodec.MAX_FRAME + 1);
        long address = b1.memoryAddress();
        b1.release();
        ByteBuf b2 = handle.allocate(alloc);
        assertThat(b2.memoryAddress()).isEqualTo(address);
        b2.release();
        recv.buffer.release();
    }
}
