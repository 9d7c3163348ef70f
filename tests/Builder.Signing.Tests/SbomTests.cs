using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Signing.Sbom;

namespace Builder.Signing.Tests;

public sealed partial class SbomTests
{
    private const string DebianOsRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";

    private const string DpkgStatus = """
        Package: python3-django
        Status: install ok installed
        Priority: optional
        Architecture: all
        Version: 3:3.2.19-1+deb12u1
        Homepage: http://www.djangoproject.com/
        Description: High-level Python web development framework
         Django is a high-level web application framework.

        Package: removed-one
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 1.0

        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Version: 2.36-9+deb12u4

        """;

    [Fact]
    public void Dpkg_status_lists_installed_packages_with_version_architecture_and_a_deb_purl()
    {
        var packages = PackageDatabases.ParseDpkg(DpkgStatus, "/var/lib/dpkg/status", new Distribution("debian", "12")).ToList();

        Assert.Equal(["python3-django", "libc6"], packages.Select(p => p.Name));
        var django = packages[0];
        Assert.Equal("3:3.2.19-1+deb12u1", django.Version);
        Assert.Equal("all", django.Architecture);
        Assert.Equal("http://www.djangoproject.com/", django.Homepage);
        Assert.Equal("pkg:deb/debian/python3-django@3%3A3.2.19-1%2Bdeb12u1?arch=all&distro=debian-12", django.Purl);
    }

    [Fact]
    public void The_apk_database_lists_its_packages_with_an_apk_purl()
    {
        const string installed = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nU:https://musl.libc.org/\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\nA:x86_64\n";

        var packages = PackageDatabases.ParseApk(installed, "/lib/apk/db/installed", new Distribution("alpine", "3.19.1")).ToList();

        Assert.Equal(["musl", "busybox"], packages.Select(p => p.Name));
        Assert.Equal("1.2.4-r2", packages[0].Version);
        Assert.Equal("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1", packages[0].Purl);
    }

    [Fact]
    public void Python_metadata_gives_name_and_version_with_a_normalised_pypi_purl()
    {
        const string metadata = "Metadata-Version: 2.1\nName: Django_REST.framework\nVersion: 3.14.0\nClassifier: A\nClassifier: B\n\nName: not-a-header\n";

        var package = PackageDatabases.ParsePython(metadata, "/x/METADATA");

        Assert.NotNull(package);
        Assert.Equal("Django_REST.framework", package.Name);
        Assert.Equal("3.14.0", package.Version);
        Assert.Equal("pkg:pypi/django-rest-framework@3.14.0", package.Purl);
    }

    [Theory]
    [InlineData("var/lib/dpkg/status", true)]
    [InlineData("var/lib/dpkg/status-old", false)]
    [InlineData("var/lib/dpkg/status.d/base", true)]
    [InlineData("var/lib/dpkg/status.d/base.md5sums", false)]
    [InlineData("lib/apk/db/installed", true)]
    [InlineData("usr/lib/python3/dist-packages/Django-3.2.19.egg-info/PKG-INFO", true)]
    [InlineData("usr/lib/python3/dist-packages/six-1.16.0.egg-info", true)]
    [InlineData("opt/venv/lib/python3.11/site-packages/gunicorn-21.2.0.dist-info/METADATA", true)]
    [InlineData("opt/venv/lib/python3.11/site-packages/gunicorn-21.2.0.dist-info/RECORD", false)]
    [InlineData("usr/lib/os-release", true)]
    public void Only_package_databases_and_os_release_are_read(string path, bool read)
    {
        Assert.Equal(read, PackageDatabases.IsDatabase(path));
    }

    [Fact]
    public async Task Upper_layers_replace_files_and_their_whiteouts_and_opaque_directories_delete_lower_ones()
    {
        var lower = Layer(
            ("usr/lib/os-release", DebianOsRelease),
            ("var/lib/dpkg/status", "Package: old\nStatus: install ok installed\nVersion: 1\n"),
            ("usr/lib/python3/dist-packages/gone-1.0.dist-info/METADATA", "Name: gone\nVersion: 1.0\n"),
            ("opt/app/site-packages/hidden-2.0.dist-info/METADATA", "Name: hidden\nVersion: 2.0\n"));
        var upper = Layer(
            ("./var/lib/dpkg/status", DpkgStatus),
            ("usr/lib/python3/dist-packages/.wh.gone-1.0.dist-info", ""),
            ("opt/app/site-packages/.wh..wh..opq", ""),
            ("opt/app/site-packages/kept-3.0.dist-info/METADATA", "Name: kept\nVersion: 3.0\n"));

        var files = await ImageFiles.ReadAsync([lower, upper], PackageDatabases.IsDatabase, CancellationToken.None);
        var packages = PackageDatabases.Catalogue(files);

        Assert.Equal(
            ["opt/app/site-packages/kept-3.0.dist-info/METADATA", "usr/lib/os-release", "var/lib/dpkg/status"],
            files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["deb:libc6", "deb:python3-django", "pypi:kept"], packages.Select(p => $"{p.Type}:{p.Name}"));
        Assert.All(packages.Where(p => p.Type == "deb"), p => Assert.Contains("distro=debian-12", p.Purl));
    }

    [Fact]
    public async Task The_spdx_document_describes_the_image_which_contains_each_package_with_its_version_and_purl()
    {
        var layer = Layer(("usr/lib/os-release", DebianOsRelease), ("var/lib/dpkg/status", DpkgStatus));
        var image = new ImageSubject("mysite:1", Digest.Of("manifest"u8));

        var (bytes, count) = await SpdxDocument.CreateAsync(image, [layer], DateTimeOffset.Parse("2024-01-02T03:04:05Z"), "1.2.3", CancellationToken.None);

        var document = JsonNode.Parse(bytes)!;
        Assert.Equal(2, count);
        Assert.Equal("SPDX-2.3", (string?)document["spdxVersion"]);
        Assert.Equal("CC0-1.0", (string?)document["dataLicense"]);
        Assert.Equal("SPDXRef-DOCUMENT", (string?)document["SPDXID"]);
        Assert.Equal($"https://spdx.org/spdxdocs/builder/sha256-{image.Digest.Hex}", (string?)document["documentNamespace"]);
        Assert.Equal("2024-01-02T03:04:05Z", (string?)document["creationInfo"]!["created"]);
        Assert.Equal("Tool: builder-1.2.3", (string?)document["creationInfo"]!["creators"]![0]);
        var packages = document["packages"]!.AsArray();
        Assert.Equal("CONTAINER", (string?)packages[0]!["primaryPackagePurpose"]);
        Assert.Equal(image.Digest.ToString(), (string?)packages[0]!["versionInfo"]);
        var django = packages.Single(p => (string?)p!["name"] == "python3-django")!;
        Assert.Equal("3:3.2.19-1+deb12u1", (string?)django["versionInfo"]);
        Assert.Equal("purl", (string?)django["externalRefs"]![0]!["referenceType"]);
        Assert.StartsWith("pkg:deb/debian/python3-django@", (string?)django["externalRefs"]![0]!["referenceLocator"]);
        Assert.All(packages, p => Assert.Matches(SpdxId(), (string)p!["SPDXID"]!));
        Assert.Equal(packages.Count, packages.Select(p => (string?)p!["SPDXID"]).Distinct().Count());
        var relationships = document["relationships"]!.AsArray().Select(r => $"{r!["spdxElementId"]} {r["relationshipType"]} {r["relatedSpdxElement"]}").ToList();
        Assert.Contains("SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image", relationships);
        Assert.Contains($"SPDXRef-Image CONTAINS {django["SPDXID"]}", relationships);
        Assert.Equal(packages.Count - 1, relationships.Count(r => r.Contains(" CONTAINS ", StringComparison.Ordinal)));
    }

    [GeneratedRegex("^SPDXRef-[A-Za-z0-9.-]+$")]
    private static partial Regex SpdxId();

    private static ILayer Layer(params (string Path, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
                writer.WriteEntry(entry);
            }
        }
        return new MemoryLayer(tar.ToArray());
    }

    private sealed class MemoryLayer(byte[] tar) : ILayer
    {
        public Descriptor Descriptor { get; } = Descriptor.Of(Oci.MediaTypes.OciLayer, tar);

        public Digest DiffId => Descriptor.Digest;

        public Task<Stream> OpenCompressedAsync(CancellationToken cancellationToken) => OpenUncompressedAsync(cancellationToken);

        public Task<Stream> OpenUncompressedAsync(CancellationToken cancellationToken) => Task.FromResult<Stream>(new MemoryStream(tar, writable: false));
    }
}
