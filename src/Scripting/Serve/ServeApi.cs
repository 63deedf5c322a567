using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Serve;

/// <summary>The endpoints of the HTTP API (documented in docs/http-api.md).</summary>
internal sealed class ServeApi(ImageStore store, ServeOptions options, SubjectModel subjectModel, TextWriter log)
{
    private double _lastEncodeMs = 1500; // a first guess for the progress bar until an embedding was timed

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/images", ctx => Run(ctx, ListAsync));
        app.MapPost("/api/images", ctx => Run(ctx, UploadAsync));
        app.MapGet("/api/images/{id}", ctx => Run(ctx, StatusAsync));
        app.MapDelete("/api/images/{id}", ctx => Run(ctx, DeleteAsync));
        app.MapGet("/api/images/{id}/image", ctx => Run(ctx, ImageAsync));
        app.MapPost("/api/images/{id}/select", ctx => Run(ctx, SelectAsync));
        app.MapPost("/api/images/{id}/subject", ctx => Run(ctx, SubjectAsync));
        app.MapGet("/api/images/{id}/mask", ctx => Run(ctx, MaskAsync));
        app.MapPost("/api/images/{id}/cutout", ctx => Run(ctx, CutoutAsync));
        app.MapPost("/api/images/{id}/undo", ctx => Run(ctx, c => HistoryAsync(c, undo: true)));
        app.MapPost("/api/images/{id}/redo", ctx => Run(ctx, c => HistoryAsync(c, undo: false)));
        app.MapPost("/api/images/{id}/clear", ctx => Run(ctx, ClearAsync));
        app.MapGet("/api/images/{id}/points", ctx => Run(ctx, PointsAsync));
        app.MapGet("/api/images/{id}/recipe", ctx => Run(ctx, RecipeAsync));
        app.Map("/api/{**rest}", ctx => Error(ctx, StatusCodes.Status404NotFound,
            $"{ctx.Request.Method} {ctx.Request.Path} is not an API call; see docs/http-api.md"));
    }

    /// <summary>Answers every failure as JSON <c>{"error": "..."}</c> naming what was wrong.</summary>
    private async Task Run(HttpContext ctx, Func<HttpContext, Task> handler)
    {
        try
        {
            ProposalMasks(ctx); // a bad value is refused before anything changes
            await handler(ctx);
        }
        catch (ApiException e) { await Error(ctx, e.Status, e.Message); }
        catch (SegException e) { await Error(ctx, StatusCodes.Status400BadRequest, e.Message); }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(ctx, StatusCodes.Status413PayloadTooLarge, $"request body: larger than {options.MaxImageBytes} bytes");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            log.WriteLine($"error: {ctx.Request.Method} {ctx.Request.Path}: {e}");
            await Error(ctx, StatusCodes.Status500InternalServerError, $"internal error: {e.Message}");
        }
    }

    internal static async Task Error(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        ctx.Response.Headers.CacheControl = "no-store";
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new { error = message }, JsonOut));
    }

    private ServedImage Find(HttpContext ctx)
    {
        string id = (string)ctx.Request.RouteValues["id"]!;
        return store.Get(id) ?? throw new ApiException(StatusCodes.Status404NotFound,
            $"image '{id}': no such image here (unknown, deleted, or dropped to make room: at most {options.MaxImages} images are held); upload it again with POST /api/images");
    }

    private async Task ListAsync(HttpContext ctx)
    {
        var list = store.List().Select(i => new { id = i.Id, name = i.Name, width = i.Image.Width, height = i.Image.Height, ready = i.Ready.IsCompletedSuccessfully });
        await Json(ctx, new { images = list, capacity = options.MaxImages });
    }

    private async Task UploadAsync(HttpContext ctx)
    {
        string name = SafeName(ctx.Request.Query["name"].ToString());
        if (ctx.Request.ContentLength is { } len && len > options.MaxImageBytes)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"upload '{name}': {len} bytes; the limit is {options.MaxImageBytes}");
        if (ctx.Request.ContentLength == 0)
            throw new ApiException(StatusCodes.Status400BadRequest, $"upload '{name}': the body is empty; send the image file's bytes (PNG, JPEG or BMP)");
        var body = await ReadBodyAsync(ctx, options.MaxImageBytes, $"upload '{name}'");
        // The header's size is checked against the pixel limits before any pixel is decoded.
        var image = ImageIO.Load(body, $"upload '{name}'", options.ImageLimits);
        var entry = store.Add(name, image);
        _ = entry.Ready.ContinueWith(t => { if (t.IsCompletedSuccessfully && entry.EncodeMs is { } ms) _lastEncodeMs = ms; }, TaskScheduler.Default);
        ctx.Response.StatusCode = StatusCodes.Status201Created;
        await Json(ctx, new { id = entry.Id, width = image.Width, height = image.Height, name });
    }

    private async Task StatusAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        if (!img.Ready.IsCompleted)
        {
            await Json(ctx, new
            {
                id = img.Id, name = img.Name, width = img.Image.Width, height = img.Image.Height, ready = false,
                elapsedMs = Math.Round(img.AgeMs), expectedMs = Math.Round(_lastEncodeMs),
            });
            return;
        }
        if (img.Ready.IsFaulted) throw new ApiException(500, $"image '{img.Id}': the embedding failed: {img.Ready.Exception?.GetBaseException().Message}");
        if (img.EncodeMs is { } took) _lastEncodeMs = took;
        using (await img.EnterAsync(ctx.RequestAborted))
            await Json(ctx, State(img, 0, ProposalMasks(ctx)));
    }

    private async Task DeleteAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        store.Remove(img.Id);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
        await Task.CompletedTask;
    }

    private async Task ImageAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        using var ms = new MemoryStream();
        ImageIO.EncodePng(img.Image, ms, PngCompression.Fast); // for the page's screen only
        ctx.Response.ContentType = "image/png";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }

    private async Task SelectAsync(HttpContext ctx)
    {
        var timing = new ServerTiming();
        var img = Find(ctx);
        using var doc = await ReadJsonAsync(ctx);
        var req = SelectRequest.Parse(doc.RootElement, options.MaxPoints);
        timing.Lap("parse");
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            timing.Lap("wait");
            var ed = img.Editor;
            var prompts = req.Prompts;
            prompts.Validate(img.Image.Width, img.Image.Height);
            double decoderBefore = img.Decoder!.PredictMs;
            var sw = Stopwatch.StartNew();
            // The same object's clicks, one more each time, continue its click chain (one decoder run per new click)
            // and replace its contribution; anything else is a new object combined by its mode.
            if (ed.LastPrompt is { } last && last.Mode == req.Mode && Nullable.Equals(last.Prompts.Box, req.Box) && StartsWith(req.Points, last.Prompts.Points))
            {
                if (req.Points.Count > last.Prompts.Points.Count) ed.Refine(req.Points.Skip(last.Prompts.Points.Count).ToArray());
            }
            else ed.Prompt(req.Mode, prompts);
            // The click chain's time: its decoder runs, the rest (upscaling, colour refinement, combining) as "refine".
            timing.Lap("refine");
            timing.Split("decoder", img.Decoder.PredictMs - decoderBefore);
            await Selection(ctx, img, sw.Elapsed.TotalMilliseconds, timing);
        }
    }

    private async Task SubjectAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        var mode = SelectionMode.Replace;
        if (ctx.Request.ContentLength is not 0 && (ctx.Request.ContentLength is not null || ctx.Request.ContentType is not null))
        {
            using var doc = await ReadJsonAsync(ctx);
            SelectRequest.Expect(doc.RootElement, JsonValueKind.Object, "request body", "a JSON object such as {\"op\": \"replace\"}");
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name != "op") throw new ApiException(400, $"unknown field \"{p.Name}\"; expected \"op\"");
            if (doc.RootElement.TryGetProperty("op", out var op)) mode = SelectRequest.ParseMode(op);
        }
        var timing = new ServerTiming();
        var subject = await SubjectModelAsync(ctx.RequestAborted);
        timing.Lap("model");
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            timing.Lap("wait");
            var sw = Stopwatch.StartNew();
            var mask = subject.Select(img.Image, SubjectMode.Saliency, null, ctx.RequestAborted);
            img.Editor.Apply(mode, mask, new SubjectStep(mode));
            timing.Lap("subject");
            await Selection(ctx, img, sw.Elapsed.TotalMilliseconds, timing);
        }
    }

    private Task<SubjectSelector> SubjectModelAsync(CancellationToken ct) => subjectModel.GetAsync(ct);

    /// <summary>The subject model when a matte of a box alone will use it; null otherwise, or when it cannot be opened (the matte then uses the selection as it is).</summary>
    private async Task<SubjectSelector?> MattePriorAsync(ServedImage img, Finish finish, CancellationToken ct)
    {
        if (!finish.Matte || !SelectionOutput.MattesBoxAlone(img, finish.Grow)) return null;
        try { return await SubjectModelAsync(ct); }
        catch (SegException) { return null; }
    }

    private async Task MaskAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        var finish = Finish.FromQuery(ctx.Request.Query);
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            if (finish.IsNone) { await Selection(ctx, img, 0); return; }
            var soft = SelectionOutput.Finished(img, finish, ctx.RequestAborted, await MattePriorAsync(img, finish, ctx.RequestAborted));
            if (WantsJson(ctx)) await Json(ctx, State(img, 0, ProposalMasks(ctx), soft.ToMask()));
            else await Png(ctx, soft.Data, soft.Width, soft.Height, $"{Stem(img)}-mask.png");
        }
    }

    private async Task CutoutAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        var finish = Finish.None;
        Background? background = null;
        if (ctx.Request.ContentLength is not 0 && (ctx.Request.ContentLength is not null || ctx.Request.ContentType is not null))
        {
            using var doc = await ReadJsonAsync(ctx);
            var root = doc.RootElement;
            SelectRequest.Expect(root, JsonValueKind.Object, "request body", "a JSON object such as {\"feather\": 2, \"background\": {\"type\": \"color\", \"color\": \"#ffffff\"}}");
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("grow" or "feather" or "edges" or "matte" or "background"))
                    throw new ApiException(400, $"unknown field \"{p.Name}\"; expected \"grow\", \"feather\", \"edges\", \"matte\" and \"background\"");
            finish = Finish.FromJson(root);
            if (root.TryGetProperty("background", out var bg)) background = ParseBackground(bg);
        }
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            BgraImage result;
            if (finish.Matte)
            {
                // The matte's foreground colours go with its alpha, so no old background shows in the hair.
                var matte = SelectionOutput.MatteOf(img, finish.Grow, ctx.RequestAborted, await MattePriorAsync(img, finish, ctx.RequestAborted));
                result = background is null ? matte.CutOut() : matte.ReplaceBackground(background, img.Image);
            }
            else
            {
                var alpha = SelectionOutput.Finished(img.Editor.Selection, img.Image, finish);
                result = background is null ? Compositor.CutOut(img.Image, alpha) : Compositor.ReplaceBackground(img.Image, alpha, background);
            }
            using var ms = new MemoryStream();
            ImageIO.EncodePng(result, ms);
            ctx.Response.ContentType = "image/png";
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{Stem(img)}-{(background is null ? "cutout" : "composite")}.png\"";
            await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
        }
    }

    private Background? ParseBackground(JsonElement bg)
    {
        if (bg.ValueKind == JsonValueKind.Null) return null;
        SelectRequest.Expect(bg, JsonValueKind.Object, "background", "an object with \"type\": none, color, blur or image");
        string type = bg.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        switch (type)
        {
            case "none": return null;
            case "color":
                string hex = bg.TryGetProperty("color", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
                if (hex.Length != 7 || hex[0] != '#' || !int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int rgb))
                    throw new ApiException(400, $"background.color: '{hex}' is not a colour like \"#ffffff\"");
                return Background.Color((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
            case "blur":
                double sigma = 12;
                if (bg.TryGetProperty("sigma", out var s) && (s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out sigma) || !double.IsFinite(sigma) || sigma < 0 || sigma > 500))
                    throw new ApiException(400, $"background.sigma: expected a blur radius of 0..500 pixels, got {SelectRequest.Short(s)}");
                return Background.Blur((float)sigma);
            case "image":
                string other = bg.TryGetProperty("image", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "";
                var picture = store.Get(other) ?? throw new ApiException(400, $"background.image: '{other}' is not the id of an uploaded image; upload the background with POST /api/images first");
                return Background.Image(picture.Image);
            default:
                throw new ApiException(400, $"background.type: '{type}' is not none, color, blur or image");
        }
    }

    private async Task HistoryAsync(HttpContext ctx, bool undo)
    {
        var img = Find(ctx);
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            bool moved = undo ? img.Editor.Undo() : img.Editor.Redo();
            if (!moved) throw new ApiException(StatusCodes.Status409Conflict, undo ? "undo: nothing to undo" : "redo: nothing to redo");
            await Selection(ctx, img, 0);
        }
    }

    private async Task ClearAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            img.Editor.Clear();
            await Selection(ctx, img, 0);
        }
    }

    private async Task PointsAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            var prompts = img.Editor.LastPrompt?.Prompts;
            ctx.Response.ContentType = "application/json; charset=utf-8";
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{Stem(img)}.points.json\"";
            await ctx.Response.WriteAsync(SelectionOutput.Sidecar(prompts));
        }
    }

    private async Task RecipeAsync(HttpContext ctx)
    {
        var img = Find(ctx);
        var finish = Finish.FromQuery(ctx.Request.Query);
        using (await img.EnterAsync(ctx.RequestAborted))
        {
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync(SelectionOutput.Recipe(img.Name, img.Image.Width, img.Image.Height, img.Editor.History, finish, img.FirstClickGuided));
        }
    }

    /// <summary>
    /// The current selection: PNG when the client accepts image/png, else JSON with COCO RLE. The headers carry what
    /// the page shows besides the mask (undo, redo, area, score), so one request answers a click; with
    /// <paramref name="timing"/> the stages go in <c>Server-Timing</c>.
    /// </summary>
    private static async Task Selection(HttpContext ctx, ServedImage img, double ms, ServerTiming? timing = null)
    {
        var ed = img.Editor;
        var h = ctx.Response.Headers;
        h["X-Can-Undo"] = ed.CanUndo ? "1" : "0";
        h["X-Can-Redo"] = ed.CanRedo ? "1" : "0";
        h["X-Select-Ms"] = ms.ToString("0.0", CultureInfo.InvariantCulture);
        h["X-Area"] = ed.Selection.Area().ToString(CultureInfo.InvariantCulture);
        if (ed.LastPrediction is { } p) h["X-Score"] = p.Score.ToString("0.000", CultureInfo.InvariantCulture);
        bool json = WantsJson(ctx);
        byte[] body;
        int length;
        if (json)
        {
            body = JsonSerializer.SerializeToUtf8Bytes(State(img, ms, ProposalMasks(ctx)), JsonOut);
            length = body.Length;
        }
        else
        {
            // The overlay is redrawn at every click: fast compression (same pixels, about 3x quicker at 1 MP).
            using var ms2 = new MemoryStream();
            ImageIO.EncodeGrayPng(ed.Selection.Data, ed.Selection.Width, ed.Selection.Height, ms2, PngCompression.Fast);
            (body, length) = (ms2.GetBuffer(), (int)ms2.Length);
        }
        if (timing is not null)
        {
            timing.Lap("encode");
            h["Server-Timing"] = timing.Header();
        }
        if (json) ctx.Response.ContentType = "application/json; charset=utf-8";
        else
        {
            ctx.Response.ContentType = "image/png";
            ctx.Response.Headers.ContentDisposition = $"inline; filename=\"{Stem(img)}-mask.png\"";
        }
        await ctx.Response.Body.WriteAsync(body.AsMemory(0, length), ctx.RequestAborted);
    }

    /// <summary>False when the query says <c>proposalMasks=0</c>: the proposals are listed without their RLE (cheaper).</summary>
    private static bool ProposalMasks(HttpContext ctx) =>
        !ctx.Request.Query.TryGetValue("proposalMasks", out var v) || Finish.ParseBool(v.ToString(), "proposalMasks");

    private static object State(ServedImage img, double ms, bool proposalMasks, Mask? mask = null)
    {
        var ed = img.Editor;
        mask ??= ed.Selection;
        var last = ed.LastPrompt;
        var p = ed.LastPrediction;
        return new
        {
            id = img.Id,
            name = img.Name,
            width = img.Image.Width,
            height = img.Image.Height,
            ready = true,
            encodeMs = img.EncodeMs is { } e ? Math.Round(e) : (double?)null,
            op = last is { } l ? l.Mode.ToString().ToLowerInvariant() : null,
            points = last?.Prompts.Points.Select(q => new object[] { q.X, q.Y, q.Positive ? 1 : 0 }),
            box = last?.Prompts.Box is { } b ? new[] { b.X0, b.Y0, b.X1, b.Y1 } : null,
            area = mask.Area(),
            score = p?.Score,
            proposals = p is null ? null : Proposals(img, p, proposalMasks),
            canUndo = ed.CanUndo,
            canRedo = ed.CanRedo,
            steps = ed.History.Count,
            ms = Math.Round(ms, 1),
            rle = JsonDocument.Parse(CocoRle.ToJson(mask)).RootElement,
        };
    }

    /// <summary>
    /// Every proposal of the last decoder run with its mask as COCO RLE: the model's own answer at the image's size
    /// (logits &gt; 0, before colour refinement), made once per prediction.
    /// </summary>
    private static object[] Proposals(ServedImage img, MaskPrediction p, bool withMasks)
    {
        if (!withMasks)
            return p.Proposals.Select(q => (object)new { index = q.Index, score = q.Score, chosen = ReferenceEquals(q, p.Chosen) }).ToArray();
        if (img.ProposalRles is not { } kept || !ReferenceEquals(kept.Prediction, p))
        {
            var rles = new JsonElement[p.Proposals.Count];
            for (int i = 0; i < rles.Length; i++)
            {
                var q = p.Proposals[i];
                var mask = ReferenceEquals(q, p.Chosen) ? p.Mask : p.UpscaleLogits(q).ToMask(0f);
                rles[i] = JsonDocument.Parse(CocoRle.ToJson(mask)).RootElement;
            }
            img.ProposalRles = kept = (p, rles);
        }
        var list = new object[p.Proposals.Count];
        for (int i = 0; i < list.Length; i++)
        {
            var q = p.Proposals[i];
            list[i] = new { index = q.Index, score = q.Score, chosen = ReferenceEquals(q, p.Chosen), rle = kept.Rles[i] };
        }
        return list;
    }

    /// <summary>JSON unless the client accepts image/png; for the mask endpoint, PNG unless it asks for application/json.</summary>
    private static bool WantsJson(HttpContext ctx)
    {
        string accept = ctx.Request.Headers.Accept.ToString();
        if (ctx.Request.Path.Value?.EndsWith("/mask", StringComparison.Ordinal) == true)
            return accept.Contains("application/json", StringComparison.OrdinalIgnoreCase);
        return !accept.Contains("image/png", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task Png(HttpContext ctx, byte[] gray, int width, int height, string fileName)
    {
        using var ms = new MemoryStream();
        ImageIO.EncodeGrayPng(gray, width, height, ms, PngCompression.Fast);
        ctx.Response.ContentType = "image/png";
        ctx.Response.Headers.ContentDisposition = $"inline; filename=\"{fileName}\"";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }

    private static readonly JsonSerializerOptions JsonOut = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // JSON answers only, never embedded in HTML
    };

    private static async Task Json(HttpContext ctx, object value)
    {
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(value, JsonOut));
    }

    private async Task<JsonDocument> ReadJsonAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx, options.MaxJsonBytes, "request body");
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"request body: not valid JSON ({e.Message})");
        }
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; a larger body is refused unread past the limit.</summary>
    private static async Task<MemoryStream> ReadBodyAsync(HttpContext ctx, long limit, string what)
    {
        if (ctx.Request.ContentLength is { } len && len > limit)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{what}: {len} bytes; the limit is {limit}");
        var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
        {
            if (ms.Length + n > limit) throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{what}: more than {limit} bytes");
            ms.Write(buffer, 0, n);
        }
        ms.Position = 0;
        return ms;
    }

    private static bool StartsWith(IReadOnlyList<PointPrompt> points, IReadOnlyList<PointPrompt> prefix)
    {
        if (prefix.Count > points.Count) return false;
        for (int i = 0; i < prefix.Count; i++) if (points[i] != prefix[i]) return false;
        return true;
    }

    /// <summary>A display name from the client: a file name only, printable, short; never used as a path here.</summary>
    private static string SafeName(string name)
    {
        name = Path.GetFileName(name.Replace('\\', '/'));
        var sb = new StringBuilder();
        foreach (char c in name) if (char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or ' ') sb.Append(c);
        string s = sb.ToString().Trim(' ', '.');
        return s.Length == 0 ? "image" : s.Length > 80 ? s[..80] : s;
    }

    private static string Stem(ServedImage img) => Path.GetFileNameWithoutExtension(img.Name);
}
