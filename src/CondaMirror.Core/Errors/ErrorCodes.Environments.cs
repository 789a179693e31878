namespace CondaMirror.Core.Errors;

/// <summary>42x: conda environment files (environment.yml, CondaEnvironmentFile items).</summary>
public static partial class ErrorCodes
{
    /// <summary>The environment file does not exist or cannot be read.</summary>
    public const string EnvironmentFileUnreadable = "CMIR420";

    /// <summary>The environment file is larger than 1 MB or holds more than 100,000 YAML values.</summary>
    public const string EnvironmentFileTooLarge = "CMIR421";

    /// <summary>The environment file is not valid YAML, or a key has the wrong shape (syntax error, duplicate key, no dependencies).</summary>
    public const string EnvironmentYamlInvalid = "CMIR422";

    /// <summary>The environment file uses a YAML alias (<c>*name</c>); refused before anything is expanded.</summary>
    public const string EnvironmentYamlAlias = "CMIR423";

    /// <summary>The environment file nests deeper than 16 levels.</summary>
    public const string EnvironmentYamlTooDeep = "CMIR424";

    /// <summary>A dependency of the environment file is not a conda MatchSpec.</summary>
    public const string EnvironmentSpecInvalid = "CMIR425";

    /// <summary>The environment file lists the <c>defaults</c> channel, which names no channel a build can see.</summary>
    public const string EnvironmentDefaultsChannel = "CMIR426";

    /// <summary>Warning: the environment file's <c>pip:</c> entries are not mirrored.</summary>
    public const string EnvironmentPipSkipped = "CMIR427";

    /// <summary>Warning: a top-level key of the environment file that conda does not define is ignored (a typo?).</summary>
    public const string EnvironmentKeyIgnored = "CMIR428";
}
