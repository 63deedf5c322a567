using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Tests.Cli;

namespace SegPlugins.Scripting.Tests.Serve;

/// <summary>The API over real MobileSAM (and u2netp): the same clicks give the same mask as <c>segplug select</c>.</summary>
public sealed class ServeRealModelTests
{
    private static readonly string Coffee = Path.Combine(CliHarness.Root, "samples", "coffee.jpg");

    private static async Task<Mask> PostPng(HttpClient c, string path, string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        var r = await c.SendAsync(req);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return MaskPng.LoadMask(new MemoryStream(await r.Content.ReadAsByteArrayAsync()), path);
    }

    [Fact]
    public async Task ClicksThroughTheApi_EqualSelectCommand_AndSubjectEqualsTheSubjectModel()
    {
        // The server's default: the first click read with the salient-object map, as `select` does by default.
        await using var h = await ServeHarness.StartAsync(realModel: true, images: [Coffee], subjectGuide: true);
        var list = System.Text.Json.JsonDocument.Parse(await h.Client.GetStringAsync("/api/images")).RootElement.GetProperty("images");
        string id = list[0].GetProperty("id").GetString()!;

        var one = await PostPng(h.Client, $"/api/images/{id}/select", """{"points": [[300, 200, 1]]}""");
        var two = await PostPng(h.Client, $"/api/images/{id}/select", """{"points": [[300, 200, 1], [460, 200, 0]]}""");

        using var t = new CliTemp();
        var (c1, o1, e1) = CliHarness.Run("select", "--image", Coffee, "--point", "300,200", "--out", t.F("one.png"));
        Assert.True(c1 == 0, e1);
        Assert.Contains("subject model", o1);
        var (c2, _, e2) = CliHarness.Run("select", "--image", Coffee, "--point", "300,200", "--point", "460,200,0", "--subject-guide", "on", "--out", t.F("two.png"));
        Assert.True(c2 == 0, e2);
        Assert.Equal(MaskPng.LoadMask(t.F("one.png")).Data, one.Data);
        // ... and not what the clicks give without the map (the map also weighs in the colour refinement).
        var (c0, o0, e0) = CliHarness.Run("select", "--image", Coffee, "--point", "300,200", "--subject-guide", "off", "--out", t.F("plain.png"));
        Assert.True(c0 == 0, e0);
        Assert.DoesNotContain("subject", o0);
        Assert.NotEqual(MaskPng.LoadMask(t.F("plain.png")).Data, one.Data);
        Assert.Equal(MaskPng.LoadMask(t.F("two.png")).Data, two.Data);
        Assert.NotEqual(one.Data, two.Data);

        var subject = await PostPng(h.Client, $"/api/images/{id}/subject", """{"op": "replace"}""");
        using var selector = await SubjectSelector.OpenAsync(new EngineOptions { Device = ExecutionDevice.Cpu });
        var expected = selector.Select(ImageIO.Load(Coffee));
        Assert.False(expected.IsEmpty);
        Assert.Equal(expected.Data, subject.Data);
    }
}
