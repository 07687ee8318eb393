using Presence.Core;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Turns the schedule into frames: takes the next due slots in order, adds the extra duplicate
/// records, keeps each user's sequence number, and encodes with <see cref="FrameWriter"/> into a
/// <see cref="FrameBatch"/>. No I/O and no clock: the caller says how many frames and what time
/// the records carry, so the packing is a pure function of those calls.
/// </summary>
/// <remarks>
/// Memory per user is its <c>ushort</c> sequence number (2 bytes: 20 MB at 10 million users);
/// everything else is derived from the slot counter. The numbers are kept by the user's position
/// in the round (slot mod users), not by its id: consecutive slots then touch consecutive
/// entries. Kept by id (which the schedule scatters), nearly every record missed the cache: perf
/// put 27% of the sender's samples in <see cref="TryNextRecord"/> at 32 records per frame, 3% now.
/// <para>
/// Duplicates are spread evenly: after each scheduled record the share <c>dup</c> is added to a
/// credit, and each whole credit puts in one extra record for a user sent within the last
/// <c>dupWindow</c> slots, with that user's next sequence number (a second heartbeat, as a client
/// that sends twice would; a repeated sequence number would be dropped as a replay when signed
/// rather than coalesced).
/// </para>
/// </remarks>
internal sealed class FrameBuilder
{
    private readonly HeartbeatSchedule _schedule;
    private readonly ushort[] _seqByPosition;
    private readonly int _perFrame;
    private readonly double _dupShare;
    private readonly int _dupWindow;
    private readonly IDeviceKeySource? _keys;
    private readonly byte _keyId;
    private readonly DeviceKeyDeriver? _deriver;
    private readonly HmacSha256Key[]? _preparedByPosition;
    private readonly bool[]? _isPrepared;
    private readonly HeartbeatRecord[] _frameRecords;
    private readonly int[] _framePositions;
    private readonly ulong[]? _coveredBits;
    private int _frameFill;
    private int _lastPosition;
    private ulong _random;
    private long _usersCovered;
    private int _nextIndex;
    private int _nextPosition;
    private double _dupCredit;
    private long _offlineNext;

    /// <param name="perFrame">Records per frame: 1 … 91 unsigned, 1 … 45 signed (one UDP frame).</param>
    /// <param name="dupShare">Extra duplicate records per scheduled record, 0 … 1.</param>
    /// <param name="dupWindow">How many of the latest slots a duplicate picks its user from (see <see cref="DupWindowFor"/>).</param>
    /// <param name="keys">Signs every record with its user's device key under <paramref name="keyId"/>; null sends unsigned frames.</param>
    public FrameBuilder(HeartbeatSchedule schedule, int perFrame, double dupShare = 0, int dupWindow = 1,
        IDeviceKeySource? keys = null, byte keyId = 0, ulong seed = 1)
    {
        int most = keys is null ? FrameFormat.MaxUdpUnsignedRecords : FrameFormat.MaxUdpSignedRecords;
        ArgumentOutOfRangeException.ThrowIfLessThan(perFrame, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perFrame, most);
        if (dupShare is < 0 or > 1 || double.IsNaN(dupShare))
            throw new ArgumentOutOfRangeException(nameof(dupShare), dupShare, "The duplicate share is 0 to 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(dupWindow, 1);
        _schedule = schedule;
        _seqByPosition = new ushort[schedule.Users];
        _perFrame = perFrame;
        _dupShare = dupShare;
        _dupWindow = dupWindow;
        _keys = keys;
        _keyId = keys is null ? (byte)0 : keyId;
        if (keys is MasterKeyRing ring && ring.TryGetDeriver(_keyId, out var deriver) && schedule.Users <= PreparedKeyLimit)
        {
            // Each simulated device keeps its device key ready, as a real device would: a record
            // then costs one tag (two SHA-256 compressions) instead of a derivation, a
            // preparation and a tag (six).
            _deriver = deriver;
            _preparedByPosition = new HmacSha256Key[schedule.Users];
            _isPrepared = new bool[schedule.Users];
        }
        _frameRecords = new HeartbeatRecord[perFrame];
        _framePositions = new int[perFrame];
        if (schedule.Churn is not null)
            _coveredBits = new ulong[(schedule.Users + 63) / 64]; // a silent user's first slot does not cover it
        _random = HeartbeatSchedule.Mix(seed ^ 0x5DEECE66D) | 1;
        _nextIndex = schedule.IndexAt(0);
    }

    /// <summary>Up to this many users, signing keeps every device key ready (~70 bytes a user); beyond, each record derives its key.</summary>
    public const int PreparedKeyLimit = 2_000_000;

    public int PerFrame => _perFrame;

    public bool IsSigned => _keys is not null;

    /// <summary>Scheduled slots packed so far: the next frame starts at this slot.</summary>
    public long SlotsBuilt { get; private set; }

    public long RecordsBuilt { get; private set; }

    public long DuplicatesBuilt { get; private set; }

    /// <summary>
    /// Distinct users packed at least once. Slots are a permutation, so without churn these are the
    /// first <c>users</c> slots; with churn, users silent at their first slots are not counted until they send.
    /// </summary>
    public long UsersCovered => _coveredBits is null ? SlotsCovered : _usersCovered;

    /// <summary>Distinct users whose slot has come at least once (whether they sent or were silent): the first <c>min(slots built, users)</c> slots.</summary>
    public long SlotsCovered => Math.Min(SlotsBuilt, _schedule.Users);

    /// <summary>Sign-out records (kind 1) built for churning users falling silent.</summary>
    public long SignOutsBuilt { get; private set; }

    /// <summary>Slots of churning users passed over in a silent period (nothing sent).</summary>
    public long SilentSlots { get; private set; }

    /// <summary>
    /// Whole frames that can be filled from the slots due so far (an upper bound with churn: a
    /// silent user's slot adds no record). A frame waits until its records are due (a heartbeat is
    /// never sent early), so it fills up within <c>perFrame</c> slot times.
    /// </summary>
    public long FramesReady(long slotsDue) =>
        slotsDue == long.MaxValue ? long.MaxValue : Math.Max(0, _frameFill + slotsDue - SlotsBuilt) / _perFrame;

    /// <summary>The slot that completes the next frame when no slot before it is silent: when to look again.</summary>
    public long NextFrameSlot => SlotsBuilt + (_perFrame - _frameFill) - 1;

    /// <summary>
    /// A duplicate repeats a user sent within about the last 100 ms of the schedule (the ingester
    /// coalesces within its flush window, at most 250 ms), at least the slot just sent and at most
    /// 4096 slots back.
    /// </summary>
    public static int DupWindowFor(double slotsPerSecond) =>
        double.IsInfinity(slotsPerSecond) ? 4096 : (int)Math.Clamp(slotsPerSecond * 0.1, 1, 4096);

    /// <summary>
    /// Appends up to <paramref name="frames"/> heartbeat frames to <paramref name="batch"/>, records
    /// stamped <paramref name="unixSeconds"/>, taking slots before <paramref name="slotsDue"/> only.
    /// Returns how many frames it added: fewer than asked only when silent users' slots left too few
    /// records; the records of a frame begun stay for the next call, so every frame is full.
    /// </summary>
    public int Build(FrameBatch batch, int frames, uint unixSeconds, long slotsDue = long.MaxValue)
    {
        int built = 0;
        while (built < frames)
        {
            while (_frameFill < _perFrame)
            {
                if (!TryNextRecord(unixSeconds, slotsDue, out _frameRecords[_frameFill]))
                    return built;
                _framePositions[_frameFill++] = _lastPosition;
            }
            Write(batch, _frameRecords, _framePositions);
            _frameFill = 0;
            built++;
        }
        return built;
    }

    /// <summary>
    /// Appends the records of a frame begun but not full (churn: silent slots left it short) as a
    /// short frame, so none is left unsent when the run stops. Returns whether there was one.
    /// </summary>
    public bool BuildRest(FrameBatch batch)
    {
        if (_frameFill == 0)
            return false;
        Write(batch, _frameRecords.AsSpan(0, _frameFill), _framePositions.AsSpan(0, _frameFill));
        _frameFill = 0;
        return true;
    }

    /// <summary>Users still to be signed off by <see cref="BuildOffline"/> (every user whose slot came, silent or not).</summary>
    public long OfflineRemaining => SlotsCovered - _offlineNext;

    /// <summary>
    /// Appends up to <paramref name="frames"/> frames of offline records (kind 1) for the users
    /// covered, each once; the last frame may be short. Returns how many frames it added.
    /// </summary>
    public int BuildOffline(FrameBatch batch, int frames, uint unixSeconds)
    {
        Span<HeartbeatRecord> records = stackalloc HeartbeatRecord[_perFrame];
        Span<int> positions = stackalloc int[_perFrame];
        int built = 0;
        while (built < frames && OfflineRemaining > 0)
        {
            int n = (int)Math.Min(_perFrame, OfflineRemaining);
            for (int r = 0; r < n; r++)
            {
                records[r] = Record((int)_offlineNext, _schedule.IndexAt(_offlineNext), unixSeconds, RecordKind.Offline);
                positions[r] = _lastPosition;
                _offlineNext++;
            }
            Write(batch, records[..n], positions[..n]);
            built++;
        }
        return built;
    }

    /// <summary>The next record: a duplicate when one is owed, else the next slot's, passing over silent users' slots up to <paramref name="slotsDue"/>.</summary>
    private bool TryNextRecord(uint unixSeconds, long slotsDue, out HeartbeatRecord record)
    {
        if (_dupCredit >= 1)
        {
            _dupCredit -= 1;
            long slot = SlotsBuilt - 1 - NextRandom((int)Math.Min(_dupWindow, SlotsBuilt));
            int dupIndex = _schedule.IndexAt(slot);
            // Only a heartbeat is repeated: a second record for a silent or signed-off user would bring it back.
            if (_schedule.ActionAt(slot, dupIndex) == SlotAction.Heartbeat)
            {
                DuplicatesBuilt++;
                record = Record((int)(slot % _schedule.Users), dupIndex, unixSeconds, RecordKind.Heartbeat);
                return true;
            }
        }
        while (SlotsBuilt < slotsDue)
        {
            long slot = SlotsBuilt;
            int position = _nextPosition, index = _nextIndex;
            _nextIndex = _schedule.NextIndex(index);
            _nextPosition = position + 1 == _schedule.Users ? 0 : position + 1;
            SlotsBuilt++;
            var action = _schedule.ActionAt(slot, index);
            if (action == SlotAction.Silent)
            {
                SilentSlots++;
                continue;
            }
            if (_coveredBits is not null)
                Cover(position);
            if (action == SlotAction.SignOut)
            {
                SignOutsBuilt++;
                record = Record(position, index, unixSeconds, RecordKind.Offline);
                return true;
            }
            _dupCredit += _dupShare;
            record = Record(position, index, unixSeconds, RecordKind.Heartbeat);
            return true;
        }
        record = default;
        return false;
    }

    private void Cover(int position)
    {
        ref ulong word = ref _coveredBits![position >> 6];
        ulong bit = 1UL << position;
        if ((word & bit) == 0)
        {
            word |= bit;
            _usersCovered++;
        }
    }

    /// <param name="position">The user's slot in the round (slot mod users): where its sequence number is kept.</param>
    /// <param name="index">The user's index (id − first).</param>
    private HeartbeatRecord Record(int position, int index, uint unixSeconds, RecordKind kind)
    {
        RecordsBuilt++;
        _lastPosition = position;
        return new HeartbeatRecord(_schedule.UserOfIndex(index), unixSeconds, _seqByPosition[position]++, kind, _keyId);
    }

    private void Write(FrameBatch batch, ReadOnlySpan<HeartbeatRecord> records, ReadOnlySpan<int> positions)
    {
        var slot = batch.NextSlot();
        int length;
        if (_keys is null)
        {
            length = FrameWriter.WriteUnsigned(slot, records);
        }
        else if (_preparedByPosition is { } prepared)
        {
            Span<HmacSha256Key> keys = stackalloc HmacSha256Key[records.Length];
            for (int i = 0; i < records.Length; i++)
            {
                int p = positions[i];
                if (!_isPrepared![p])
                {
                    _deriver!.DerivePrepared(records[i].UserId, out prepared[p]);
                    _isPrepared[p] = true;
                }
                keys[i] = prepared[p];
            }
            length = FrameWriter.WriteSigned(slot, records, keys);
            keys.Clear();
        }
        else
        {
            length = FrameWriter.WriteSigned(slot, records, _keys);
        }
        batch.Commit(length, records.Length);
    }

    /// <summary>xorshift64*, mapped onto 0 … bound−1 by a multiply (Lemire) rather than a divide.</summary>
    private int NextRandom(int bound)
    {
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        uint x = (uint)((_random * 0x2545F4914F6CDD1D) >> 32);
        return (int)(((ulong)x * (uint)bound) >> 32);
    }
}
