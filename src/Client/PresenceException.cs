namespace Presence.Client;

/// <summary>The query service could not be reached, did not answer in time, or answered outside the API's contract.</summary>
public class PresenceException : Exception
{
    public PresenceException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
