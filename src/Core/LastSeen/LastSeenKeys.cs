using System.Globalization;

namespace Presence.Core.LastSeen;

/// <summary>
/// Where last seen times live in the store, for one key prefix (docs/HTTP-API.md, "Last seen"):
/// <c>&lt;prefix&gt;seen:&lt;bucket&gt;</c>, <see cref="Buckets"/> small hashes, user id (decimal) →
/// last seen in whole Unix seconds (decimal). No hash tag: the buckets spread over a cluster's
/// slots, apart from the events log's. Redis keeps a hash of at most 128 entries of integers as a
/// listpack, so at 1M remembered users (~61 a bucket) one costs ~14-19 bytes (measured,
/// docs/SCALING.md); a decimal id never collides with a presence key (<c>&lt;prefix&gt;&lt;digits&gt;</c>).
/// </summary>
public sealed class LastSeenKeys
{
    /// <summary>Hashes the last seen times are split into: 2^14 = 16,384.</summary>
    public const int Buckets = 1 << BucketBits;

    private const int BucketBits = 14;

    private readonly string _bucketPrefix;

    public LastSeenKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _bucketPrefix = prefix + "seen:";
    }

    /// <summary>What every bucket key starts with: <c>&lt;prefix&gt;seen:</c> (the bucket's number follows, in decimal).</summary>
    public string BucketPrefix => _bucketPrefix;

    /// <summary>The key of bucket <paramref name="bucket"/> (0 … <see cref="Buckets"/> − 1).</summary>
    public string BucketKey(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, Buckets);
        return _bucketPrefix + bucket.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The key of the bucket that holds <paramref name="userId"/>.</summary>
    public string KeyOf(ulong userId) => BucketKey(Bucket(userId));

    /// <summary>
    /// The bucket of a user: a multiplicative (Fibonacci) hash of the id, so ids that share a
    /// stride (every 16,384th, MAC-derived, sequential per site) still fill the buckets evenly.
    /// </summary>
    public static int Bucket(ulong userId) => (int)((userId * 0x9E3779B97F4A7C15UL) >> (64 - BucketBits));

    /// <summary>The field of a user in its bucket.</summary>
    public static string Field(ulong userId) => userId.ToString(CultureInfo.InvariantCulture);
}
