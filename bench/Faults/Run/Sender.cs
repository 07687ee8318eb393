using System.Net;
using System.Net.Sockets;
using Presence.Bench.Faults.History;
using Presence.Core;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// The in-process heartbeat sender of the judged users: about one heartbeat a second each, in
/// frames of up to 64 records from several sockets (so SO_REUSEPORT spreads them over both
/// ingesters). Some users churn: silent past the ttl, then back; some sign out (kind 1) and come
/// back later. Every record is recorded as <see cref="HeartbeatSent"/>, its time read just before
/// the send call; while <see cref="Dropping"/>, records are recorded as dropped and not sent.
/// </summary>
internal sealed class Sender : IDisposable
{
    private const int Sockets = 8;
    private const int PerFrame = 64;
    private const long IntervalMs = 1000;

    private readonly ulong[] _users;
    private readonly long[] _nextMs;
    private readonly ushort[] _seq;
    private readonly Random _random;
    private readonly long _ttlMs;
    private readonly Socket[] _sockets = new Socket[Sockets];
    private readonly IPEndPoint _target;
    private readonly List<HeartbeatSent> _sent = [];
    private volatile bool _churn = true;
    private bool _settled;

    public Sender(IReadOnlyList<ulong> users, int udpPort, long ttlMs, int seed)
    {
        _users = [.. users];
        _nextMs = new long[_users.Length];
        _seq = new ushort[_users.Length];
        _random = new Random(seed);
        _ttlMs = ttlMs;
        _target = new IPEndPoint(IPAddress.Loopback, udpPort);
        long now = Clock.NowMs;
        for (int i = 0; i < _users.Length; i++)
            _nextMs[i] = now + _random.Next(1000);
        for (int i = 0; i < Sockets; i++)
        {
            _sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
    }

    /// <summary>While true, every record is recorded with Dropped = true and not sent (the sender-drop fault).</summary>
    public volatile bool Dropping;

    /// <summary>Ends the churn: users online stay online, silent and signed-out users stay away for good.</summary>
    public void StopChurn() => _churn = false;

    public IReadOnlyList<HeartbeatSent> Sent
    {
        get
        {
            lock (_sent)
                return [.. _sent];
        }
    }

    public int Count
    {
        get
        {
            lock (_sent)
                return _sent.Count;
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var frame = new byte[FrameFormat.HeaderSize + PerFrame * FrameFormat.UnsignedRecordSize];
        var due = new List<(int Index, RecordKind Kind)>[Sockets];
        for (int s = 0; s < Sockets; s++)
            due[s] = [];
        var records = new HeartbeatRecord[PerFrame];
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (await Tick(timer, stop))
        {
            long now = Clock.NowMs;
            if (!_churn && !_settled)
            {
                // users away (silent or signed out) stay away: their keys expire, their timeouts come
                for (int i = 0; i < _users.Length; i++)
                {
                    if (_nextMs[i] > now + IntervalMs + 200)
                        _nextMs[i] = long.MaxValue;
                }
                _settled = true;
            }
            for (int i = 0; i < _users.Length; i++)
            {
                if (_nextMs[i] > now)
                    continue;
                if (_nextMs[i] == long.MaxValue)
                    continue;
                double roll = _churn ? _random.NextDouble() : 1;
                if (roll < 0.015)
                {
                    // silent past the ttl, then back
                    _nextMs[i] = _churn ? now + _ttlMs + 500 + _random.Next(2000) : long.MaxValue;
                    continue;
                }
                var kind = RecordKind.Heartbeat;
                long next = now + IntervalMs - 100 + _random.Next(200);
                if (roll < 0.025)
                {
                    kind = RecordKind.Offline;
                    next = now + 1000 + _random.Next(3000);
                }
                _nextMs[i] = next;
                due[(int)(_users[i] % Sockets)].Add((i, kind));
            }
            for (int s = 0; s < Sockets; s++)
            {
                var list = due[s];
                for (int start = 0; start < list.Count; start += PerFrame)
                {
                    int n = Math.Min(PerFrame, list.Count - start);
                    uint seconds = (uint)(now / 1000);
                    for (int k = 0; k < n; k++)
                    {
                        var (index, kind) = list[start + k];
                        records[k] = new HeartbeatRecord(_users[index], seconds, ++_seq[index], kind, 0);
                    }
                    int length = FrameWriter.WriteUnsigned(frame, records.AsSpan(0, n));
                    bool dropped = Dropping;
                    long sentMs = Clock.NowMs;
                    if (!dropped)
                        _sockets[s].SendTo(frame.AsSpan(0, length), SocketFlags.None, _target);
                    lock (_sent)
                    {
                        for (int k = 0; k < n; k++)
                        {
                            var (index, kind) = list[start + k];
                            _sent.Add(new HeartbeatSent(_users[index], sentMs, kind == RecordKind.Offline ? HeartbeatKind.SignOut : HeartbeatKind.Heartbeat, dropped));
                        }
                    }
                }
                list.Clear();
            }
        }
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
            socket.Dispose();
    }
}
