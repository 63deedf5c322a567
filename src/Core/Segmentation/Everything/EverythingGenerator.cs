using System.Diagnostics;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation.Everything.Internal;
using SegPlugins.Core.Segmentation.Internal;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Segmentation.Everything;

/// <summary>
/// Automatic mask generation with a SAM-family model: a grid of single-point prompts on each image crop, all
/// three proposals of a multi-mask decoder per point, filtered on the 256x256 low-res logits (predicted IoU,
/// stability score) before anything is upscaled, then box NMS on the survivors' exact boxes, across crops with
/// smaller crops preferred, and optional removal of small islands and holes. Decoder runs go in parallel on the
/// shared embedding.
/// </summary>
public static class EverythingGenerator
{
    private sealed record Candidate(float[] LowRes, float Score, float Stability, PointPrompt Point, int Order);

    /// <summary>Finds every mask in <paramref name="image"/>; progress reports (decoder runs done, total).</summary>
    public static EverythingResult Generate(SamSession session, BgraImage image, EverythingOptions? options = null,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(image);
        options ??= EverythingOptions.Default;
        var sw = Stopwatch.StartNew();
        var crops = CropBoxes(image.Width, image.Height, options.CropLayers, options.CropOverlapRatio);
        int total = 0;
        foreach (var (_, layer) in crops) total += PointsFor(options, layer) * PointsFor(options, layer);
        int done = 0, runs = 0;
        var all = new List<(EverythingMask Mask, float CropScore)>();
        foreach (var (crop, layer) in crops)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cropImage = crop.X == 0 && crop.Y == 0 && crop.Width == image.Width && crop.Height == image.Height ? image : Crop(image, crop);
            var emb = session.Embed(cropImage, null, cancellationToken);
            int n = PointsFor(options, layer);
            var found = RunCrop(session, emb, crop, n, options, image.Width, image.Height, d => progress?.Report((Interlocked.Add(ref done, d), total)), cancellationToken);
            runs += n * n;
            float cropScore = 1f / ((float)crop.Width * crop.Height);
            foreach (var m in found) all.Add((m, cropScore));
        }
        List<EverythingMask> kept;
        if (crops.Count > 1)
        {
            // Between crops the smaller crop's mask wins (it saw the object at a higher resolution).
            all.Sort((a, b) => b.CropScore.CompareTo(a.CropScore));
            kept = Nms(all.Select(a => a.Mask).ToList(), options.CropNmsThreshold);
        }
        else kept = all.Select(a => a.Mask).ToList();

        if (options.MinRegionArea > 0)
        {
            var cleaned = new EverythingMask[kept.Count];
            Parallel.For(0, kept.Count, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism, CancellationToken = cancellationToken }, i =>
            {
                var m = kept[i];
                var mask = m.Mask.FillHoles(options.MinRegionArea - 1).RemoveIslands(options.MinRegionArea);
                cleaned[i] = mask.BoundingBox() is { } box ? m with { Mask = mask, Box = box, Area = mask.Area() } : m with { Mask = mask, Area = 0 };
            });
            var nonEmpty = cleaned.Where(c => c.Area > 0).OrderByDescending(c => c.PredictedIou).ToList();
            kept = Nms(nonEmpty, options.BoxNmsThreshold);
        }
        kept.Sort((a, b) => b.Area.CompareTo(a.Area));
        return new EverythingResult(image.Width, image.Height, kept, runs, sw.Elapsed);
    }

    private static int PointsFor(EverythingOptions o, int layer)
    {
        int n = o.PointsPerSide;
        for (int i = 0; i < layer; i++) n /= o.CropPointsDownscale;
        return Math.Max(1, n);
    }

    /// <summary>One crop: decoder runs on the point grid, low-res filters, upscaling of the survivors, box NMS.</summary>
    private static List<EverythingMask> RunCrop(SamSession session, SamImageEmbedding emb, PixelRect crop, int n, EverythingOptions o,
        int imageW, int imageH, Action<int> progress, CancellationToken ct)
    {
        var t = emb.Transform;
        // Low-res cells that cover the resized crop (the rest is padding).
        int validW = Math.Min(256, (t.ResizedWidth + 3) / 4), validH = Math.Min(256, (t.ResizedHeight + 3) / 4);
        var perPoint = new List<Candidate>[n * n];
        // Several grid points per decoder run (where the export takes a batch); runs in parallel on the shared embedding.
        int perRun = o.PromptsPerRun, batches = (n * n + perRun - 1) / perRun;
        Parallel.For(0, batches, new ParallelOptions { MaxDegreeOfParallelism = o.MaxParallelism, CancellationToken = ct }, batch =>
        {
            int first = batch * perRun, count = Math.Min(perRun, n * n - first);
            var points = new PointPrompt[count];
            float[]? coords = null, labels = null;
            for (int j = 0; j < count; j++)
            {
                int i = first + j;
                // Grid as SAM builds it: n points per side at (k + 0.5) / n of the crop.
                points[j] = new PointPrompt((i % n + 0.5f) / n * crop.Width, (i / n + 0.5f) / n * crop.Height);
                SamSession.BuildPromptTensors(PromptSet.FromPoints(points[j]), t, out var c, out var l);
                coords ??= new float[count * c.Length];
                labels ??= new float[count * l.Length];
                c.CopyTo(coords, j * c.Length);
                l.CopyTo(labels, j * l.Length);
            }
            var results = session.Decoder.RunMany(emb.Data, coords!, labels!, count, t.SourceWidth, t.SourceHeight, ct);
            for (int j = 0; j < count; j++)
            {
                var r = results[j];
                int i = first + j;
                var point = points[j];
                var list = new List<Candidate>(3);
                // A multi-mask decoder's proposals 1-3 (the single-mask token 0 is for multi-point prompts).
                int firstProposal = r.Scores.Length > 1 ? 1 : 0;
                for (int k = firstProposal; k < r.Scores.Length; k++)
                {
                    if (!(r.Scores[k] > o.PredIouThreshold)) continue;
                    float stab = LowResStats.Stability(r.LowRes[k], 256, validW, validH, o.StabilityScoreOffset);
                    if (stab < o.StabilityScoreThreshold) continue;
                    if (!LowResStats.AnyPositive(r.LowRes[k], 256, validW, validH)) continue;
                    list.Add(new Candidate(r.LowRes[k], r.Scores[k], stab, new PointPrompt(point.X + crop.X, point.Y + crop.Y), i * 4 + k));
                }
                perPoint[i] = list;
            }
            progress(count);
        });
        var cands = perPoint.SelectMany(l => l).ToList();
        // Upscale only what passed the low-res filters.
        var masks = new EverythingMask?[cands.Count];
        Parallel.For(0, cands.Count, new ParallelOptions { MaxDegreeOfParallelism = o.MaxParallelism, CancellationToken = ct }, i =>
        {
            var c = cands[i];
            var local = new Mask(t.SourceWidth, t.SourceHeight, LogitUpscaler.MaskFromLowRes(c.LowRes, t.ResizedWidth, t.ResizedHeight, t.SourceWidth, t.SourceHeight, 0f));
            if (local.BoundingBox() is not { } lbox) return;
            // Masks cut by an inner crop edge are partial objects; another crop sees them whole.
            if (TouchesInnerEdge(lbox, crop, imageW, imageH)) return;
            var full = crop.Width == imageW && crop.Height == imageH ? local : Uncrop(local, crop, imageW, imageH);
            var box = new PixelRect(lbox.X + crop.X, lbox.Y + crop.Y, lbox.Width, lbox.Height);
            masks[i] = new EverythingMask(full, box, local.Area(), c.Score, c.Stability, c.Point, crop);
        });
        var ordered = new List<(EverythingMask M, Candidate C)>();
        for (int i = 0; i < cands.Count; i++) if (masks[i] is { } m) ordered.Add((m, cands[i]));
        // Highest predicted IoU first; grid order breaks ties so results do not depend on thread timing.
        ordered.Sort((a, b) => a.C.Score != b.C.Score ? b.C.Score.CompareTo(a.C.Score) : a.C.Order.CompareTo(b.C.Order));
        return Nms(ordered.Select(x => x.M).ToList(), o.BoxNmsThreshold);
    }

    /// <summary>Greedy NMS on pixel boxes (edges inclusive as pixel rectangles), in the given order.</summary>
    internal static List<EverythingMask> Nms(List<EverythingMask> sorted, float threshold) =>
        BoxNms.Greedy(sorted, static m => BoxNms.Xyxy(m.Box), threshold);

    private static bool TouchesInnerEdge(PixelRect box, PixelRect crop, int w, int h)
    {
        const int Tolerance = 20; // pixels, as SAM's generator uses for "near the crop edge"
        if (crop.Width == w && crop.Height == h) return false;
        bool left = crop.X > 0 && box.X <= Tolerance;
        bool top = crop.Y > 0 && box.Y <= Tolerance;
        bool right = crop.Right < w && box.Right >= crop.Width - Tolerance;
        bool bottom = crop.Bottom < h && box.Bottom >= crop.Height - Tolerance;
        return left || top || right || bottom;
    }

    /// <summary>The crop boxes with their layer: the whole image, then 2^i x 2^i overlapping crops per layer.</summary>
    internal static List<(PixelRect Box, int Layer)> CropBoxes(int w, int h, int layers, float overlapRatio)
    {
        var boxes = new List<(PixelRect, int)> { (new PixelRect(0, 0, w, h), 0) };
        for (int layer = 1; layer <= layers; layer++)
        {
            int per = 1 << layer;
            int overlap = (int)(overlapRatio * Math.Min(w, h) * (2.0 / per));
            int cw = (int)Math.Ceiling((double)(overlap * (per - 1) + w) / per);
            int ch = (int)Math.Ceiling((double)(overlap * (per - 1) + h) / per);
            for (int j = 0; j < per; j++)
                for (int i = 0; i < per; i++)
                {
                    int x0 = (cw - overlap) * i, y0 = (ch - overlap) * j;
                    boxes.Add((new PixelRect(x0, y0, Math.Min(x0 + cw, w) - x0, Math.Min(y0 + ch, h) - y0), layer));
                }
        }
        return boxes;
    }

    private static BgraImage Crop(BgraImage image, PixelRect r)
    {
        var c = new BgraImage(r.Width, r.Height);
        for (int y = 0; y < r.Height; y++)
            image.Row(r.Y + y).Slice(r.X * 4, r.Width * 4).CopyTo(c.Row(y));
        return c;
    }

    private static Mask Uncrop(Mask local, PixelRect crop, int w, int h)
    {
        var full = new Mask(w, h);
        for (int y = 0; y < crop.Height; y++)
            local.Row(y).CopyTo(full.Row(crop.Y + y).Slice(crop.X, crop.Width));
        return full;
    }
}
