using CommandLine;

namespace Presence.LoadGen;

/// <summary>
/// <c>presence-loadgen keys new --out FILE</c> and <c>presence-loadgen keys derive --keys FILE --user ID</c>:
/// the two key chores a test set-up needs. (CommandLineParser has no nested verbs, so the action
/// is the verb's first value.)
/// </summary>
[Verb("keys", HelpText = "Key files: 'keys new --out FILE' writes a new master key file (mode 0600); 'keys derive --keys FILE --user ID' prints a user's device key.")]
public sealed class KeysOptions
{
    public const string New = "new";
    public const string Derive = "derive";
    public const int DefaultNewKeyId = 1;

    [Value(0, MetaName = "new|derive", Required = true, HelpText = "What to do.")]
    public string Action { get; set; } = "";

    [Option("out", MetaValue = "FILE", HelpText = "new: the key file to create (refused if it exists).")]
    public string? Out { get; set; }

    [Option("keys", MetaValue = "FILE", HelpText = "derive: the master key file.")]
    public string? Keys { get; set; }

    [Option("user", MetaValue = "ID", HelpText = "derive: the user id whose device key to print.")]
    public ulong? User { get; set; }

    [Option("key-id", MetaValue = "ID",
        HelpText = "new: the id of the new key (Default: 1). derive: which master key (Default: the highest in the file).")]
    public int? KeyId { get; set; }

    [Value(1, Hidden = true)]
    public IEnumerable<string> Unexpected { get; set; } = [];

    public string? Validate()
    {
        var extra = Unexpected.FirstOrDefault();
        if (extra is not null)
            return $"keys: unexpected argument '{extra}'";
        if (KeyId is { } id && (id < 0 || id > 255))
            return $"--key-id: {id} is not 0 … 255";
        switch (Action)
        {
            case New:
                if (Out is null)
                    return "keys new needs --out FILE";
                if (Keys is not null || User is not null)
                    return "keys new takes --out and --key-id only";
                return null;
            case Derive:
                if (Keys is null || User is null)
                    return "keys derive needs --keys FILE and --user ID";
                if (User == 0)
                    return "--user: 0 is not a valid user id";
                if (Out is not null)
                    return "keys derive prints the key; it takes no --out";
                return null;
            default:
                return $"keys: '{Action}' is not 'new' or 'derive'";
        }
    }
}
