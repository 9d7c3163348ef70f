namespace Builder.Registry.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void Registry_assembly_loads()
    {
        Assert.Equal("Builder.Registry", typeof(ProjectTests).Assembly.GetReferencedAssemblies().Select(a => a.Name).Single(n => n == "Builder.Registry"));
    }
}
