using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using Microsoft.Build.Utilities;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>CondaPublish destinations are checked with the project, at the element's line, before anything runs.</summary>
public sealed class PublishTaskTests
{
    private static (FakeBuildEngine Engine, bool Ok, string[] Lines) Check(string items, params TaskItem[] publish)
    {
        var work = new TempDirectory("condamirror-publish-task");
        var project = work.Combine("app.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
        var engine = new FakeBuildEngine();
        var ok = new CheckCondaMirrorProject { BuildEngine = engine, ProjectFile = project, Publish = publish }.Execute();
        var lines = File.ReadAllLines(project);
        work.Dispose();
        return (engine, ok, lines);
    }

    [Fact]
    public void A_malformed_destination_fails_at_its_line()
    {
        var (engine, ok, lines) = Check("""<CondaPublish Include="s3:/bucket/x" />""", new TaskItem("s3:/bucket/x"));
        Assert.False(ok);
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.PublishUrlInvalid, error.Code);
        Assert.Equal(Array.FindIndex(lines, l => l.Contains("<CondaPublish", StringComparison.Ordinal)) + 1, error.LineNumber);
    }

    [Fact]
    public void Credential_metadata_fails_without_echoing_it()
    {
        var item = new TaskItem("s3://bucket/x");
        item.SetMetadata("SecretAccessKey", "never-shown-77aa");
        var (engine, ok, _) = Check("""<CondaPublish Include="s3://bucket/x" SecretAccessKey="never-shown-77aa" />""", item);
        Assert.False(ok);
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.PublishSecretInProject, error.Code);
        Assert.DoesNotContain("never-shown-77aa", error.Message);
    }

    [Fact]
    public void A_wildcard_in_the_destination_is_caught_like_other_items()
    {
        // MSBuild would have expanded it to nothing: the item never reaches the task, only the XML shows it.
        var (engine, ok, _) = Check("""<CondaPublish Include="s3://bucket/*" />""");
        Assert.False(ok);
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.PackageSpecWildcard, error.Code);
        Assert.Contains("CondaPublish", error.Message);
    }

    [Fact]
    public void A_good_destination_passes()
    {
        var item = new TaskItem("s3://bucket/conda/main");
        item.SetMetadata("Endpoint", "http://127.0.0.1:9000");
        item.SetMetadata("ForcePathStyle", "true");
        var (engine, ok, _) = Check("""<CondaPublish Include="s3://bucket/conda/main" Endpoint="http://127.0.0.1:9000" ForcePathStyle="true" />""", item);
        Assert.True(ok, engine.ToString());
    }
}
