namespace CondaMirror.TestKit;

/// <summary>
/// A consumer project of the packed CondaMirror.MSBuild package, as end-to-end tests and the build benchmark use it:
/// a net10.0 class library whose nuget.config knows only the local feed, so restores need no network.
/// </summary>
public static class ConsumerProject
{
    /// <summary>Writes nuget.config and &lt;name&gt;.csproj into <paramref name="directory"/>; returns the project path.</summary>
    /// <param name="body">Extra XML inside &lt;Project&gt; (property groups, items).</param>
    public static string Write(string directory, string feed, string version, string body, string name = "Consumer")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var path = Path.Combine(directory, name + ".csproj");
        File.WriteAllText(path, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="CondaMirror.MSBuild" Version="{version}" PrivateAssets="all" />
              </ItemGroup>
            {body}
            </Project>
            """);
        return path;
    }
}
