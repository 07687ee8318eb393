using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Presence.Core.Interop;

namespace Presence.Integration.Tests.Interop;

/// <summary>
/// The shared socket structs with the real kernel on 127.0.0.1: what sendmmsg sends from them is
/// what recvmmsg reads into them, lengths and MSG_TRUNC as the ingester's receive loop reads them.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed unsafe class LinuxSocketsTests
{
    [Fact]
    public void SendMmsgThenRecvMmsg_ThreeDatagramsOneTooLong_LengthsBytesAndTruncFlag()
    {
        const int slot = 2048;
        int[] sizes = [10, 1472, 3000];
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 10_000;
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Connect(receiver.LocalEndPoint!);
        var payloads = sizes.Select((n, i) => Enumerable.Range(0, n).Select(b => (byte)(b * 7 + i)).ToArray()).ToArray();

        var iov = stackalloc IoVec[3];
        var messages = stackalloc MMsgHdr[3];
        var handles = payloads.Select(p => GCHandle.Alloc(p, GCHandleType.Pinned)).ToArray();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                iov[i] = new IoVec { Base = (void*)handles[i].AddrOfPinnedObject(), Length = (nuint)payloads[i].Length };
                messages[i] = default;
                messages[i].Header.Iov = &iov[i];
                messages[i].Header.IovLength = 1;
            }
            Assert.Equal(3, LinuxSockets.SendMmsg((int)sender.SafeHandle.DangerousGetHandle(), messages, 3, 0));
            for (int i = 0; i < 3; i++)
                Assert.Equal((uint)sizes[i], messages[i].Length);
        }
        finally
        {
            foreach (var h in handles)
                h.Free();
        }

        var buffers = (byte*)NativeMemory.AllocZeroed(3 * slot);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                iov[i] = new IoVec { Base = buffers + i * slot, Length = slot };
                messages[i] = default;
                messages[i].Header.Iov = &iov[i];
                messages[i].Header.IovLength = 1;
            }
            int n = LinuxSockets.RecvMmsg((int)receiver.SafeHandle.DangerousGetHandle(), messages, 3, LinuxSockets.MsgWaitForOne, null);
            // MSG_WAITFORONE returns what is queued after the first: all three were queued before the call.
            Assert.True(n == 3, $"recvmmsg returned {n} (errno {Marshal.GetLastPInvokeError()})");
            for (int i = 0; i < 3; i++)
            {
                int copied = Math.Min(sizes[i], slot);
                Assert.Equal((uint)copied, messages[i].Length);
                Assert.Equal(sizes[i] > slot, (messages[i].Header.Flags & LinuxSockets.MsgTrunc) != 0);
                Assert.True(new ReadOnlySpan<byte>(buffers + i * slot, copied).SequenceEqual(payloads[i].AsSpan(0, copied)), $"datagram {i}'s bytes");
            }
        }
        finally
        {
            NativeMemory.Free(buffers);
        }
    }
}
