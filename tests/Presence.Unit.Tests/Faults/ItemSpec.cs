namespace Presence.Unit.Tests.Faults;

/// <summary>Some items of a hand-made session, made from the model store's log (see <see cref="Items"/>).</summary>
internal delegate IEnumerable<Presence.Bench.Faults.History.StreamItem> ItemSpec(ModelStore store, IReadOnlyCollection<ulong> watched);
