namespace Presence.LoadGen.Internal;

/// <summary>The query service could not be asked, or answered outside its contract: verification cannot conclude.</summary>
internal sealed class VerifyException(string message, Exception? inner = null) : Exception(message, inner);
