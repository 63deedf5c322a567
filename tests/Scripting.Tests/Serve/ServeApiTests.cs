using SegPlugins.Core.Tests.Support;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Tests.Serve;

/// <summary>Every endpoint of segplug serve's API and every bad input, in process over the fixture models.</summary>
public sealed class ServeApiTests : IAsyncLifetime
{
    private ServeHarness _h = null!;
    private static readonly string Grad = ServeHarness.Fixture("images/grad_97x61.png");

    public async Task InitializeAsync() => _h = await ServeHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    private HttpClient C => _h.Client;

    private async Task<string> UploadAsync(string path = "", string name = "grad_97x61.png")
    {
        var r = await C.PostAsync($"/api/images?name={name}", new ByteArrayContent(File.ReadAllBytes(path.Length == 0 ? Grad : path)));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<Mask> SelectPngAsync(string id, string body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/images/{id}/select") { Content = Json(body) };
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        var r = await C.SendAsync(req);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        Assert.Equal("image/png", r.Content.Headers.ContentType!.MediaType);
        return await MaskOf(r);
    }

    private static async Task<Mask> MaskOf(HttpResponseMessage r)
    {
        using var s = new MemoryStream(await r.Content.ReadAsByteArrayAsync());
        return MaskPng.LoadMask(s, "answer");
    }

    private static async Task AssertError(HttpResponseMessage r, HttpStatusCode status, string expected)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == status, $"{r.StatusCode}: {body}");
        Assert.StartsWith("application/json", r.Content.Headers.ContentType!.ToString());
        using var doc = JsonDocument.Parse(body);
        Assert.Contains(expected, doc.RootElement.GetProperty("error").GetString());
    }

    /// <summary>What segplug select makes of the same clicks: Core's shared click chain on the same image.</summary>
    private static Mask Expected(IReadOnlyList<PointPrompt> points, BoxXyxy? box = null)
    {
        using var sam = SamSession.Open(ServeHarness.Fixture("models/sam_encoder_input_output.onnx"), ServeHarness.Fixture("models/sam_decoder_multi.onnx"), new EngineOptions { Device = ExecutionDevice.Cpu });
        var img = ImageIO.Load(Grad);
        sam.SetImage(img);
        return ClickDefaults.NewChain(sam, img).Predict(points, box).Mask;
    }

    [Fact]
    public async Task Upload_AnswersIdAndSize_AndListsIt()
    {
        var r = await C.PostAsync("/api/images?name=../../etc/grad.png", new ByteArrayContent(File.ReadAllBytes(Grad)));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(97, doc.RootElement.GetProperty("width").GetInt32());
        Assert.Equal(61, doc.RootElement.GetProperty("height").GetInt32());
        Assert.Equal("grad.png", doc.RootElement.GetProperty("name").GetString()); // a display name, never a path
        string list = await C.GetStringAsync("/api/images");
        Assert.Contains(doc.RootElement.GetProperty("id").GetString()!, list);
    }

    public static TheoryData<string, byte[], string> BadImages() => new()
    {
        { "notes.txt", Encoding.UTF8.GetBytes("this is not an image, just text"), "upload 'notes.txt': unsupported image format; expected PNG, JPEG or BMP" },
        { "scan.tif", [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "upload 'scan.tif': TIFF images are not accepted" },
        { "huge.png", CraftedHeaders.PngDeclaring(30000, 30000), "upload 'huge.png': image is 30000x30000 = 900 MP, over the limit of 100 MP" },
        { "empty.png", [], "upload 'empty.png': the body is empty" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task Upload_RefusesWhatIsNotAnAcceptedImage(string name, byte[] body, string expected)
    {
        var r = await C.PostAsync($"/api/images?name={name}", new ByteArrayContent(body));
        await AssertError(r, HttpStatusCode.BadRequest, expected);
        Assert.Equal(0, _h.Server.ImageCount);
    }

    [Fact]
    public async Task Upload_OverTheByteLimitIsRefusedBeforeReading()
    {
        await using var small = await ServeHarness.StartAsync(maxImageBytes: 1000);
        var r = await small.Client.PostAsync("/api/images?name=big.png", new ByteArrayContent(new byte[5000]));
        await AssertError(r, HttpStatusCode.RequestEntityTooLarge, "upload 'big.png': 5000 bytes; the limit is 1000");
    }

    [Fact]
    public async Task Select_SameClicksGiveTheSameMaskAsTheSelectPath_PngAndJson()
    {
        string id = await UploadAsync();
        var png = await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        var expected = Expected([new PointPrompt(30, 20)]);
        Assert.False(expected.IsEmpty);
        Assert.Equal(expected.Data, png.Data);

        // The same object with one more click continues the chain.
        var r = await C.PostAsync($"/api/images/{id}/select", Json("""{"points": [[30, 20, 1], [70, 40, 0]], "op": "replace"}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        var two = CocoRle.FromJson(root.GetProperty("rle").GetRawText());
        Assert.Equal(Expected([new PointPrompt(30, 20), new PointPrompt(70, 40, false)]).Data, two.Data);
        Assert.InRange(root.GetProperty("score").GetSingle(), 0f, 1.5f);
        Assert.Equal(4, root.GetProperty("proposals").GetArrayLength());
        Assert.Equal(2, root.GetProperty("points").GetArrayLength());
        Assert.True(root.GetProperty("canUndo").GetBoolean());
        Assert.Equal(two.Area(), root.GetProperty("area").GetInt64());
    }

    [Fact]
    public async Task Select_PngAnswerCarriesWhatThePanelShows_AndItsStagesInServerTiming()
    {
        string id = await UploadAsync();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/images/{id}/select") { Content = Json("""{"points": [[30, 20, 1]]}""") };
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        var r = await C.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var mask = await MaskOf(r);
        string Header(string name) => r.Headers.GetValues(name).Single();
        Assert.Equal(mask.Area().ToString(System.Globalization.CultureInfo.InvariantCulture), Header("X-Area"));
        Assert.Equal("1", Header("X-Can-Undo"));
        Assert.Equal("0", Header("X-Can-Redo"));
        Assert.InRange(double.Parse(Header("X-Score"), System.Globalization.CultureInfo.InvariantCulture), 0, 1.5);

        // "parse;dur=0.1, wait;dur=0.0, refine;dur=3.2, decoder;dur=1.5, encode;dur=0.4"
        var stages = Header("Server-Timing").Split(", ").Select(part => part.Split(";dur=")).ToDictionary(
            kv => kv[0], kv => double.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["parse", "wait", "refine", "decoder", "encode"], stages.Keys);
        Assert.All(stages.Values, ms => Assert.True(ms >= 0));
        Assert.True(stages["decoder"] > 0, "the decoder ran but took no time");
        double select = double.Parse(Header("X-Select-Ms"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(stages["decoder"] <= select + 0.1, $"decoder {stages["decoder"]} ms is more than the whole selection's {select} ms");
    }

    [Fact]
    public async Task Select_JsonProposalsCarryTheirMasksAsRle_TheModelsOwnAnswers()
    {
        string id = await UploadAsync();
        var r = await C.PostAsync($"/api/images/{id}/select", Json("""{"points": [[30, 20, 1]]}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        // The decoder's proposals for the same click, each at the image's size (before colour refinement).
        using var sam = SamSession.Open(ServeHarness.Fixture("models/sam_encoder_input_output.onnx"), ServeHarness.Fixture("models/sam_decoder_multi.onnx"), new EngineOptions { Device = ExecutionDevice.Cpu });
        sam.SetImage(ImageIO.Load(Grad));
        var p = sam.Predict(PromptSet.FromPoints(new PointPrompt(30, 20)));
        var proposals = doc.RootElement.GetProperty("proposals");
        Assert.Equal(p.Proposals.Count, proposals.GetArrayLength());
        int differing = 0;
        for (int i = 0; i < p.Proposals.Count; i++)
        {
            var q = proposals[i];
            Assert.Equal(p.Proposals[i].Index, q.GetProperty("index").GetInt32());
            Assert.Equal(p.Proposals[i].Index == p.Chosen.Index, q.GetProperty("chosen").GetBoolean());
            var rle = q.GetProperty("rle");
            Assert.Equal([61, 97], rle.GetProperty("size").EnumerateArray().Select(v => v.GetInt32()));
            var mask = CocoRle.FromJson(rle.GetRawText());
            Assert.Equal(p.UpscaleLogits(p.Proposals[i]).ToMask(0f).Data, mask.Data);
            if (!mask.Data.AsSpan().SequenceEqual(p.Mask.Data)) differing++;
        }
        Assert.True(differing > 0, "every proposal's mask is the chosen one's: the test cannot tell them apart");

        // The image's state answers the same proposals; with proposalMasks=0 without their masks.
        using var state = JsonDocument.Parse(await C.GetStringAsync($"/api/images/{id}"));
        Assert.Equal(proposals.GetRawText(), state.RootElement.GetProperty("proposals").GetRawText());
        using var bare = JsonDocument.Parse(await C.GetStringAsync($"/api/images/{id}?proposalMasks=0"));
        var listed = bare.RootElement.GetProperty("proposals");
        Assert.Equal(p.Proposals.Count, listed.GetArrayLength());
        Assert.All(listed.EnumerateArray(), q => Assert.False(q.TryGetProperty("rle", out _)));
        Assert.Equal(p.Proposals.Select(q => q.Index), listed.EnumerateArray().Select(q => q.GetProperty("index").GetInt32()));
        await AssertError(await C.GetAsync($"/api/images/{id}?proposalMasks=few"), HttpStatusCode.BadRequest, "proposalMasks: 'few' is not true or false");
        await AssertError(await C.PostAsync($"/api/images/{id}/select?proposalMasks=few", Json("""{"points": [[70, 40, 1]]}""")), HttpStatusCode.BadRequest, "proposalMasks: 'few'");
        Assert.Equal(1, JsonDocument.Parse(await C.GetStringAsync($"/api/images/{id}")).RootElement.GetProperty("steps").GetInt32()); // refused before the edit
    }

    [Fact]
    public async Task Matte_SoftEdgeInMaskAndCutout_AsSelectMatteMakesIt()
    {
        string id = await UploadAsync();
        await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        var img = ImageIO.Load(Grad);
        // What segplug select --matte makes of the same click: the click chain's selection and its model logits.
        using var sam = SamSession.Open(ServeHarness.Fixture("models/sam_encoder_input_output.onnx"), ServeHarness.Fixture("models/sam_decoder_multi.onnx"), new EngineOptions { Device = ExecutionDevice.Cpu });
        sam.SetImage(img);
        var chain = ClickDefaults.NewChain(sam, img).Predict([new PointPrompt(30, 20)]);
        var expected = SelectionMatting.FromSelection(img, chain.Prediction.Logits, chain.Mask);
        Assert.Contains(expected.Alpha.Data, v => v is > 0 and < 255);

        var r = await C.GetAsync($"/api/images/{id}/mask?matte=1");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var alpha = MaskPng.LoadSoftMask(new MemoryStream(await r.Content.ReadAsByteArrayAsync()), "matte");
        Assert.Equal(expected.Alpha.Data, alpha.Data);

        var cut = await C.PostAsync($"/api/images/{id}/cutout", Json("""{"matte": true}"""));
        Assert.True(cut.StatusCode == HttpStatusCode.OK, await cut.Content.ReadAsStringAsync());
        Assert.Equal(expected.CutOut().Pixels, ImageIO.Load(new MemoryStream(await cut.Content.ReadAsByteArrayAsync()), "cutout").Pixels);
        var over = await C.PostAsync($"/api/images/{id}/cutout", Json("""{"matte": true, "background": {"type": "color", "color": "#20c040"}}"""));
        Assert.Equal(expected.ReplaceBackground(SegPlugins.Core.Compositing.Background.Color(0x20, 0xc0, 0x40), img).Pixels,
            ImageIO.Load(new MemoryStream(await over.Content.ReadAsByteArrayAsync()), "composite").Pixels);

        // A grown selection is matted from its own edge (confident logits that agree with it), as cutout --matte does.
        var grown = chain.Mask.Grow(2);
        var logits = new LogitMap(grown.Width, grown.Height);
        for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = grown.Data[i] != 0 ? 8f : -8f;
        var g = await C.GetAsync($"/api/images/{id}/mask?matte=1&grow=2");
        Assert.Equal(SelectionMatting.FromSelection(img, logits, grown).Alpha.Data, MaskPng.LoadSoftMask(new MemoryStream(await g.Content.ReadAsByteArrayAsync()), "grown matte").Data);

        await AssertError(await C.GetAsync($"/api/images/{id}/mask?matte=1&feather=2"), HttpStatusCode.BadRequest, "matte: the matte makes its own soft edge; send it with feather 0 and edges off (got feather 2)");
        await AssertError(await C.GetAsync($"/api/images/{id}/mask?matte=sometimes"), HttpStatusCode.BadRequest, "matte: 'sometimes' is not true or false");
        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"matte": 1}""")), HttpStatusCode.BadRequest, "matte: expected true or false, got 1");
        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"matte": true, "edges": true}""")), HttpStatusCode.BadRequest, "(got edges on)");
    }

    [Fact]
    public async Task Select_BoxAndModesCombineObjects()
    {
        string id = await UploadAsync();
        var first = await SelectPngAsync(id, """{"box": [5, 5, 45, 50]}""");
        Assert.Equal(Expected([], new BoxXyxy(5, 5, 45, 50)).Data, first.Data);
        var second = Expected([new PointPrompt(80, 30)]);
        var added = await SelectPngAsync(id, """{"points": [[80, 30, 1]], "op": "add"}""");
        Assert.Equal(first.Union(second).Data, added.Data);
        var subtracted = await SelectPngAsync(id, """{"points": [[80, 30, 1]], "op": "subtract"}""");
        Assert.Equal(added.Subtract(second).Data, subtracted.Data);
        var intersected = await SelectPngAsync(id, """{"points": [[80, 30, 1]], "op": "intersect"}""");
        Assert.Equal(subtracted.Intersect(second).Data, intersected.Data);
    }

    public static TheoryData<string, string> BadSelects() => new()
    {
        { "{\"points\": [[1, 2, 1]", "request body: not valid JSON" },
        { "{\"points\": [[NaN, 2, 1]]}", "request body: not valid JSON" },
        { "[1, 2]", "request body: expected a JSON object" },
        { "{\"points\": [[\"NaN\", 2, 1]]}", "points[0][0]: expected a finite number of pixels" },
        { "{\"points\": [[1e999, 2, 1]]}", "points[0][0]: expected a finite number of pixels" },
        { "{\"points\": [[500, 20, 1]]}", "point[0]: (500,20) is outside the image (0..97, 0..61)" },
        { "{\"points\": [[-1, 20, 1]]}", "point[0]: (-1,20) is outside the image" },
        { "{\"points\": [[5, 5, 2]]}", "points[0]: the label must be 1 (include) or 0 (exclude)" },
        { "{\"points\": [[5]]}", "points[0]: expected [x, y, 1 or 0]" },
        { "{\"box\": [1, 2, 3]}", "box: expected [x0, y0, x1, y1]" },
        { "{\"box\": [40, 2, 3, 50]}", "box: (40,2,3,50) has x1 < x0" },
        { "{\"points\": [[5, 5, 1]], \"op\": \"merge\"}", "op: 'merge' is not replace, add, subtract or intersect" },
        { "{\"points\": []}", "give at least one point" },
        { "{\"point\": [[5, 5, 1]]}", "unknown field \"point\"" },
    };

    [Theory]
    [MemberData(nameof(BadSelects))]
    public async Task Select_BadRequestsNameWhatWasWrong(string body, string expected)
    {
        string id = await UploadAsync();
        await AssertError(await C.PostAsync($"/api/images/{id}/select", Json(body)), HttpStatusCode.BadRequest, expected);
        Assert.True((await MaskOf(await C.GetAsync($"/api/images/{id}/mask"))).IsEmpty); // nothing was changed
    }

    [Fact]
    public async Task Select_TooManyPointsOrTooLargeBodyIsRefused()
    {
        string id = await UploadAsync();
        string many = "{\"points\": [" + string.Join(", ", Enumerable.Repeat("[5, 5, 1]", 65)) + "]}";
        await AssertError(await C.PostAsync($"/api/images/{id}/select", Json(many)), HttpStatusCode.BadRequest, "points: 65 given, at most 64 allowed");
        string huge = "{\"points\": [[5, 5, 1]], \"x\": \"" + new string('a', 70_000) + "\"}";
        await AssertError(await C.PostAsync($"/api/images/{id}/select", Json(huge)), HttpStatusCode.RequestEntityTooLarge, "request body:");
    }

    [Fact]
    public async Task UnknownIdIsNotFound_OnEveryEndpoint()
    {
        foreach (var (method, path) in new[] { ("GET", ""), ("POST", "/select"), ("GET", "/mask"), ("POST", "/cutout"), ("POST", "/undo"), ("POST", "/redo"), ("GET", "/points"), ("GET", "/recipe"), ("DELETE", ""), ("GET", "/image") })
        {
            using var req = new HttpRequestMessage(new HttpMethod(method), "/api/images/0123456789ab" + path);
            if (method == "POST") req.Content = Json("""{"points": [[5, 5, 1]]}""");
            await AssertError(await C.SendAsync(req), HttpStatusCode.NotFound, "image '0123456789ab': no such image here");
        }
    }

    [Fact]
    public async Task Token_IsRequiredOnEveryApiCall_ButNotForThePage()
    {
        string id = await UploadAsync();
        using var anonymous = _h.Server.App.GetTestClientWithoutToken();
        await AssertError(await anonymous.GetAsync("/api/images"), HttpStatusCode.Unauthorized, "Authorization: missing");
        await AssertError(await anonymous.PostAsync($"/api/images/{id}/select", Json("""{"points": [[5, 5, 1]]}""")), HttpStatusCode.Unauthorized, "Authorization: missing");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
        await AssertError(await anonymous.GetAsync($"/api/images/{id}/mask"), HttpStatusCode.Unauthorized, "Authorization: wrong token");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", ServeHarness.Token);
        await AssertError(await anonymous.GetAsync("/api/images"), HttpStatusCode.Unauthorized, "Authorization: missing");

        anonymous.DefaultRequestHeaders.Authorization = null;
        var page = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Magic select", await page.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        foreach (var asset in new[] { "/app.js", "/app.css" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(asset)).StatusCode);
    }

    [Fact]
    public async Task ForeignHostIsRefused_AndNoCorsHeadersAreSent()
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/images");
        req.Headers.Host = "attacker.example:7860";
        await AssertError(await C.SendAsync(req), HttpStatusCode.Forbidden, "Host 'attacker.example:7860' is not this server's address");
        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Host = "rebound.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await C.SendAsync(page)).StatusCode);

        using var cors = new HttpRequestMessage(HttpMethod.Get, "/api/images");
        cors.Headers.Add("Origin", "http://attacker.example");
        var r = await C.SendAsync(cors);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.DoesNotContain(r.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/images");
        preflight.Headers.Add("Origin", "http://attacker.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var p = await _h.Server.App.GetTestClientWithoutToken().SendAsync(preflight);
        Assert.NotEqual(HttpStatusCode.OK, p.StatusCode);
        Assert.DoesNotContain(p.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Mask_FinishedWithGrowAndFeather_AndBadValuesAreNamed()
    {
        string id = await UploadAsync();
        var sel = await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        using var plain = new HttpRequestMessage(HttpMethod.Get, $"/api/images/{id}/mask");
        plain.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        Assert.Equal(sel.Data, (await MaskOf(await C.SendAsync(plain))).Data);

        var grown = await MaskOf(await C.GetAsync($"/api/images/{id}/mask?grow=2"));
        Assert.Equal(sel.Grow(2).Data, grown.Data);
        var shrunk = await MaskOf(await C.GetAsync($"/api/images/{id}/mask?grow=-2"));
        Assert.Equal(sel.Shrink(2).Data, shrunk.Data);
        var r = await C.GetAsync($"/api/images/{id}/mask?feather=3");
        using var s = new MemoryStream(await r.Content.ReadAsByteArrayAsync());
        Assert.Equal(sel.Feather(3).Data, MaskPng.LoadSoftMask(s, "feathered").Data);

        await AssertError(await C.GetAsync($"/api/images/{id}/mask?grow=abc"), HttpStatusCode.BadRequest, "grow: 'abc' is not a whole number of pixels");
        await AssertError(await C.GetAsync($"/api/images/{id}/mask?grow=999"), HttpStatusCode.BadRequest, "grow: 999 is outside -256..256 pixels");
        await AssertError(await C.GetAsync($"/api/images/{id}/mask?feather=-1"), HttpStatusCode.BadRequest, "feather: -1 is outside 0..256 pixels");
        await AssertError(await C.GetAsync($"/api/images/{id}/mask?edges=maybe"), HttpStatusCode.BadRequest, "edges: 'maybe' is not true or false");
    }

    [Fact]
    public async Task Cutout_TransparentOrOverABackground()
    {
        string id = await UploadAsync();
        string background = await UploadAsync(ServeHarness.Fixture("images/grad_61x97.png"), "bg.png");
        var sel = await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        var img = ImageIO.Load(Grad);

        var r = await C.PostAsync($"/api/images/{id}/cutout", null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var cut = ImageIO.Load(new MemoryStream(await r.Content.ReadAsByteArrayAsync()), "cutout");
        Assert.Equal(SegPlugins.Core.Compositing.Compositor.CutOut(img, sel).Pixels, cut.Pixels);

        foreach (var bg in new[] { """{"type": "color", "color": "#20c040"}""", """{"type": "blur", "sigma": 6}""", $$"""{"type": "image", "image": "{{background}}"}""" })
        {
            var b = await C.PostAsync($"/api/images/{id}/cutout", Json($$"""{"feather": 1, "background": {{bg}}}"""));
            Assert.True(b.StatusCode == HttpStatusCode.OK, await b.Content.ReadAsStringAsync());
            var composite = ImageIO.Load(new MemoryStream(await b.Content.ReadAsByteArrayAsync()), "composite");
            for (int y = 0; y < composite.Height; y++)
                for (int x = 0; x < composite.Width; x++)
                    Assert.Equal(255, composite.Row(y)[x * 4 + 3]); // opaque everywhere
        }

        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"background": {"type": "image", "image": "/etc/passwd"}}""")), HttpStatusCode.BadRequest,
            "background.image: '/etc/passwd' is not the id of an uploaded image");
        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"background": {"type": "gradient"}}""")), HttpStatusCode.BadRequest, "background.type: 'gradient'");
        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"background": {"type": "color", "color": "red"}}""")), HttpStatusCode.BadRequest, "background.color: 'red'");
        await AssertError(await C.PostAsync($"/api/images/{id}/cutout", Json("""{"feathers": 2}""")), HttpStatusCode.BadRequest, "unknown field \"feathers\"");
    }

    [Fact]
    public async Task UndoRedoClearAndDelete()
    {
        string id = await UploadAsync();
        await AssertError(await C.PostAsync($"/api/images/{id}/undo", null), HttpStatusCode.Conflict, "undo: nothing to undo");
        var one = await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        var two = await SelectPngAsync(id, """{"points": [[30, 20, 1], [40, 30, 0]]}""");
        Assert.NotEqual(one.Data, two.Data);
        Assert.Equal(one.Data, CocoRle.FromJson(JsonDocument.Parse(await (await C.PostAsync($"/api/images/{id}/undo", null)).Content.ReadAsStringAsync()).RootElement.GetProperty("rle").GetRawText()).Data);
        Assert.Equal(HttpStatusCode.OK, (await C.PostAsync($"/api/images/{id}/redo", null)).StatusCode);
        Assert.Equal(two.Data, (await MaskOf(await C.GetAsync($"/api/images/{id}/mask?grow=0&edges=0"))).Data);
        await AssertError(await C.PostAsync($"/api/images/{id}/redo", null), HttpStatusCode.Conflict, "redo: nothing to redo");
        Assert.Equal(HttpStatusCode.OK, (await C.PostAsync($"/api/images/{id}/clear", null)).StatusCode);
        Assert.True((await MaskOf(await C.GetAsync($"/api/images/{id}/mask?feather=0"))).IsEmpty);

        Assert.Equal(HttpStatusCode.NoContent, (await C.DeleteAsync($"/api/images/{id}")).StatusCode);
        await AssertError(await C.GetAsync($"/api/images/{id}/mask"), HttpStatusCode.NotFound, "no such image");
    }

    [Fact]
    public async Task PointsSidecar_ReadsBackAsTheSamePrompts_AndRecipeRepeatsTheEdit()
    {
        string id = await UploadAsync();
        await SelectPngAsync(id, """{"box": [5, 5, 45, 50]}""");
        await SelectPngAsync(id, """{"box": [5, 5, 45, 50], "points": [[20.5, 20, 1], [40, 12, 0]]}""");
        var r = await C.GetAsync($"/api/images/{id}/points");
        Assert.Equal("grad_97x61.points.json", r.Content.Headers.ContentDisposition!.FileName!.Trim('"'));
        var sidecar = PromptSidecar.Parse(await r.Content.ReadAsStringAsync(), "grad_97x61.points.json");
        Assert.Equal(new BoxXyxy(5, 5, 45, 50), sidecar.Box);
        Assert.Equal([new PointPrompt(20.5f, 20), new PointPrompt(40, 12, false)], sidecar.Points);

        string recipe = await C.GetStringAsync($"/api/images/{id}/recipe?grow=2&feather=1.5");
        Assert.Contains("new BoxXyxy(5f * sx, 5f * sy, 45f * sx, 50f * sy)", recipe);
        Assert.Contains("new PointPrompt(40f * sx, 12f * sy, false)", recipe);
        Assert.Contains("var alpha = selection.Grow(2).Feather(1.5f);", recipe);
        Assert.Contains("Save(alpha, \"{name}-mask.png\");", recipe);

        // The recipe runs as it is with segplug run, and on this image gives the page's export for the same finish (the
        // fixture model's answer to this prompt is empty; Recipe_OnTheSameImage_GivesThePagesSelection has a full one).
        using var t = RunRecipe(recipe);
        var page = await C.GetAsync($"/api/images/{id}/mask?grow=2&feather=1.5");
        var expected = MaskPng.LoadSoftMask(new MemoryStream(await page.Content.ReadAsByteArrayAsync()), "page mask");
        Assert.Equal(expected.Data, MaskPng.LoadSoftMask(t.F("out/photo-mask.png")).Data);
        Assert.True(File.Exists(t.F("out/photo-cutout.png")));
    }

    [Fact]
    public async Task Recipe_OnTheSameImage_GivesThePagesSelection()
    {
        string id = await UploadAsync();
        // Three objects: clicks in order (one refined with a later click), a box with a click subtracted, a box added.
        await SelectPngAsync(id, """{"points": [[30, 20, 1], [60, 40, 0]]}""");
        await SelectPngAsync(id, """{"points": [[30, 20, 1], [60, 40, 0], [20, 45, 1]]}""");
        await SelectPngAsync(id, """{"box": [50, 10, 90, 55], "points": [[70, 30, 0]], "op": "subtract"}""");
        var page = await SelectPngAsync(id, """{"box": [5, 40, 40, 58], "op": "add"}""");
        Assert.False(page.IsEmpty);

        string recipe = await C.GetStringAsync($"/api/images/{id}/recipe");
        Assert.Contains("SelectClicks(new[] { new PointPrompt(30f * sx, 20f * sy, true), new PointPrompt(60f * sx, 40f * sy, false), new PointPrompt(20f * sx, 45f * sy, true) }, subjectGuide: false);", recipe);
        Assert.Contains("SelectClicks(Array.Empty<PointPrompt>(), new BoxXyxy(5f * sx, 40f * sy, 40f * sx, 58f * sy));", recipe);
        using var t = RunRecipe(recipe);
        Assert.Equal(page.Data, MaskPng.LoadMask(t.F("out/photo-mask.png")).Data);
    }

    [Fact]
    public async Task RecipeWithTheMatte_RepeatsTheMattedEdit()
    {
        string id = await UploadAsync();
        await SelectPngAsync(id, """{"points": [[30, 20, 1]]}""");
        string recipe = await C.GetStringAsync($"/api/images/{id}/recipe?grow=2&matte=1");
        Assert.Contains("var matte = Matte(selection.Grow(2));", recipe);
        Assert.Contains("Save(matte.Alpha, \"{name}-mask.png\");", recipe);
        Assert.Contains("Save(CutOut(matte), \"{name}-cutout.png\");", recipe);

        using var t = RunRecipe(recipe);
        // The recipe's matte is the page's for the same grown selection (exported with matte=1&grow=2).
        var page = await C.GetAsync($"/api/images/{id}/mask?matte=1&grow=2");
        var expected = MaskPng.LoadSoftMask(new MemoryStream(await page.Content.ReadAsByteArrayAsync()), "page matte");
        var made = MaskPng.LoadSoftMask(t.F("out/photo-mask.png"));
        Assert.Contains(made.Data, v => v is > 0 and < 255);
        Assert.Equal(expected.Data, made.Data);
        Assert.True(File.Exists(t.F("out/photo-cutout.png")));
    }

    /// <summary>Runs <paramref name="recipe"/> with <c>segplug run</c> on a copy of the test photo (photo.png, outputs in out/) with the fixture models.</summary>
    private static SegPlugins.Scripting.Tests.Cli.CliTemp RunRecipe(string recipe)
    {
        var t = new SegPlugins.Scripting.Tests.Cli.CliTemp();
        File.WriteAllText(t.F("edit.csx"), recipe);
        File.Copy(Grad, t.F("photo.png"));
        var (code, stdout, stderr) = SegPlugins.Scripting.Tests.Cli.CliHarness.Run("run", t.F("edit.csx"), t.F("photo.png"), "--out", t.F("out"),
            "--encoder", ServeHarness.Fixture("models/sam_encoder_input_output.onnx"), "--decoder", ServeHarness.Fixture("models/sam_decoder_multi.onnx"), "--device", "cpu");
        Assert.True(code == 0, stdout + stderr);
        return t;
    }

    [Fact]
    public async Task Eviction_KeepsAtMostTheCapacity_OldestFirst()
    {
        await using var two = await ServeHarness.StartAsync(maxImages: 2);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var r = await two.Client.PostAsync($"/api/images?name=g{i}.png", new ByteArrayContent(File.ReadAllBytes(Grad)));
            ids.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }
        Assert.Equal(2, two.Server.ImageCount);
        await AssertError(await two.Client.GetAsync($"/api/images/{ids[0]}"), HttpStatusCode.NotFound, "at most 2 images are held");
        Assert.Equal(HttpStatusCode.OK, (await two.Client.GetAsync($"/api/images/{ids[2]}")).StatusCode);
    }

    [Fact]
    public async Task ConcurrentSelectsOnOneImage_AreSerialised_EachAnswerMatchesItsClicks()
    {
        string id = await UploadAsync();
        string other = await UploadAsync();
        var points = new[] { (20, 15), (70, 40), (50, 30), (10, 50), (85, 10), (35, 45) };
        var expected = points.Select(p => Expected([new PointPrompt(p.Item1, p.Item2)])).ToArray();
        var tasks = points.SelectMany((p, i) => new[]
        {
            SelectPngAsync(id, $"{{\"points\": [[{p.Item1}, {p.Item2}, 1]]}}").ContinueWith(t => (i, t.Result)),
            SelectPngAsync(other, $"{{\"points\": [[{p.Item1}, {p.Item2}, 1]]}}").ContinueWith(t => (i, t.Result)),
        }).ToArray();
        foreach (var (i, mask) in await Task.WhenAll(tasks))
            Assert.Equal(expected[i].Data, mask.Data);
    }

    [Fact]
    public async Task UnknownApiPathIsAJsonError()
    {
        await AssertError(await C.GetAsync("/api/nothing/here"), HttpStatusCode.NotFound, "GET /api/nothing/here is not an API call");
    }
}

internal static class TestClientExtensions
{
    public static HttpClient GetTestClientWithoutToken(this Microsoft.AspNetCore.Builder.WebApplication app) =>
        Microsoft.AspNetCore.TestHost.HostBuilderTestServerExtensions.GetTestClient(app);
}
