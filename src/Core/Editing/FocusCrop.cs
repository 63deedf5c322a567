using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>
/// How a <see cref="ClickChain"/> gets a session on a crop of its image, for the focus crop
/// (<see cref="ClickChainOptions.Focus"/>): the full image and a function that encodes a crop of it (a SAM session's
/// <c>ForImage</c>, say). The crop sessions share the model; the chain keeps a few of them and disposes the rest.
/// </summary>
/// <param name="Image">The image the chain's session was set to.</param>
/// <param name="Encode">Returns a session whose image is the given crop (pixels copied out of <paramref name="Image"/>).</param>
public sealed record FocusEncoder(BgraImage Image, Func<BgraImage, CancellationToken, ISegmentationSession> Encode);

/// <summary>What a focused answer leaves of the selection outside its crop.</summary>
public enum FocusOutside
{
    /// <summary>Nothing: the selection is the crop's answer alone.</summary>
    Clear,
    /// <summary>The previous selection stays as it was outside the crop.</summary>
    KeepPrevious,
}

/// <summary>
/// Settings of the focus crop of a <see cref="ClickChain"/>: from a given click on, when the selection is small in
/// its image, the model looks at a crop around it, re-encoded once per crop (the encoder scales every input to the
/// same side, so a small object gets more embedding cells and low-res mask pixels: FocalClick, FocSAM). Clicks are
/// mapped into the crop, the previous selection is fed back as logits, and the crop's answer is pasted back.
/// Off by default (<see cref="FromClick"/> 0); docs/evaluation.md, "Focus crop", has the measurements.
/// </summary>
public sealed record FocusCropOptions
{
    /// <summary>
    /// The first click (1-based) answered in a crop; 0 turns the focus off. At least 2: the first click is read on
    /// the whole image, and its answer places the crop.
    /// </summary>
    public int FromClick { get; init; }

    /// <summary>
    /// The crop is a square whose side is this many times the long side of the box around the selection and the
    /// new click (2: half a box of context on each side; RITM's zoom-in uses 1.4). 3 was measured too: better for
    /// colour fusion up to click 5, worse in NoC90 for both strategies (docs/evaluation.md, "Focus crop").
    /// </summary>
    public double Expansion { get; init; } = 2.0;

    /// <summary>Smallest crop side in image pixels, so that a tiny object keeps some context around it (not tuned).</summary>
    public int MinSide { get; init; } = 128;

    /// <summary>
    /// The crop is used only while its long side is at most this fraction of the image's long side; a larger
    /// object is answered on the whole image (a crop that gains less than 2x resolution is not worth an encoder run).
    /// </summary>
    public double MaxImageFraction { get; init; } = 0.5;

    /// <summary>What is left of the previous selection outside the crop.</summary>
    public FocusOutside Outside { get; init; } = FocusOutside.Clear;

    /// <summary>
    /// When the crop's answer reaches a crop edge inside the image (the object goes on beyond it), the crop is
    /// placed again around that answer, at least twice as large, and the click predicted once more there, or on the
    /// whole image when the new crop would be too large.
    /// </summary>
    public bool RefocusOnEdge { get; init; } = true;

    public static FocusCropOptions Default { get; } = new();

    /// <summary>True when clicks from <see cref="FromClick"/> on are answered in a crop.</summary>
    public bool Enabled => FromClick > 0;

    internal void Validate()
    {
        if (FromClick != 0 && FromClick < 2) throw new SegArgumentException("focus from click", $"must be 0 (off) or at least 2 (click 1 places the crop), got {FromClick}");
        if (!(Expansion >= 1.0 && Expansion <= 8.0)) throw new SegArgumentException("focus expansion", $"must be between 1 and 8, got {Expansion}");
        if (MinSide < 16) throw new SegArgumentException("focus min side", $"must be at least 16 pixels, got {MinSide}");
        if (!(MaxImageFraction > 0 && MaxImageFraction <= 1)) throw new SegArgumentException("focus max image fraction", $"must be above 0 and at most 1, got {MaxImageFraction}");
        if (!Enum.IsDefined(Outside)) throw new SegArgumentException("focus outside", $"'{Outside}' is not a choice");
    }
}

/// <summary>
/// The focus crop of one <see cref="ClickChain"/>: places crops, keeps their sessions (a few, by rectangle, so that
/// changing an earlier click does not encode again), and answers a click inside a crop in full-image terms.
/// </summary>
internal sealed class FocusCrop
{
    /// <summary>Crop sessions kept at once (an interactive selection rarely visits more regions).</summary>
    internal const int MaxViews = 4;

    private readonly FocusEncoder _encoder;
    private readonly FocusCropOptions _options;
    private readonly ClickChainOptions _settings;
    private readonly ColorFusion? _fusion;
    private readonly LogitMap? _saliency;
    private readonly Func<ISegmentationSession, PromptSet, CancellationToken, MaskPrediction> _run;
    private readonly List<View> _views = [];

    /// <summary>A crop's session, its pixels and (with a saliency map) its part of the map.</summary>
    private sealed record View(PixelRect Rect, ISegmentationSession Session, BgraImage Pixels, LogitMap? Saliency);

    /// <summary>What a focused step remembers: its crop, the full-size selection it answered, and that selection's feedback in the crop's frame.</summary>
    internal sealed record State(PixelRect Rect, Mask Selection, LogitMap CropFeedback);

    /// <summary>A focused answer in full-image terms; <see cref="Prediction"/> is the crop's answer pasted into the image.</summary>
    internal readonly record struct Answer(Mask Mask, MaskPrediction Prediction, MaskProposal Proposal, LogitMap Feedback, State State);

    /// <param name="encoder">Encodes crops of the chain's image.</param>
    /// <param name="settings">The chain's settings (focus, guard, colour refinement).</param>
    /// <param name="fusion">The chain's colour fusion, or null.</param>
    /// <param name="saliency">The image's salient-object map, or null.</param>
    /// <param name="run">Runs the decoder on a session (the chain counts the runs).</param>
    public FocusCrop(FocusEncoder encoder, ClickChainOptions settings, ColorFusion? fusion, LogitMap? saliency, Func<ISegmentationSession, PromptSet, CancellationToken, MaskPrediction> run)
    {
        _encoder = encoder;
        _settings = settings;
        _options = settings.Focus;
        _fusion = fusion;
        _saliency = saliency;
        _run = run;
    }

    /// <summary>Crops encoded so far (for tests and diagnostics).</summary>
    public int Encodes { get; private set; }

    /// <summary>True when click <paramref name="index"/> (0-based) is one the focus may answer.</summary>
    public bool Applies(int index) => _options.Enabled && index + 1 >= _options.FromClick;

    /// <summary>
    /// A square crop of a <paramref name="width"/> x <paramref name="height"/> image around the inclusive box
    /// (x0,y0)-(x1,y1): side <see cref="FocusCropOptions.Expansion"/> times the box's long side, at least
    /// <see cref="FocusCropOptions.MinSide"/>, capped by the image and shifted into it. Null when it would be larger
    /// than <see cref="FocusCropOptions.MaxImageFraction"/> of the image's long side (no focus then). The side is
    /// at least <paramref name="atLeast"/> too (a crop placed again is larger than the last).
    /// </summary>
    internal static PixelRect? Place(int x0, int y0, int x1, int y1, int width, int height, FocusCropOptions options, int atLeast = 0)
    {
        int side = Math.Max(Math.Max(options.MinSide, atLeast), (int)Math.Ceiling(Math.Max(x1 - x0 + 1, y1 - y0 + 1) * options.Expansion));
        if (side > options.MaxImageFraction * Math.Max(width, height)) return null;
        var r = PixelBounds.Grow(x0, y0, x1, y1, 1.0, side, width, height);
        return r;
    }

    /// <summary>
    /// The crop for a click after <paramref name="previous"/>: the current crop while the selection and the click
    /// lie inside it clear of its inner edges, else a new one around them; null for the whole image.
    /// </summary>
    internal static PixelRect? Choose(Mask previous, PointPrompt click, PixelRect? current, FocusCropOptions options)
    {
        var b = PixelBounds.Empty;
        b.IncludeSet(previous.Data, previous.Width, previous.Height);
        int cx = Math.Clamp((int)click.X, 0, previous.Width - 1), cy = Math.Clamp((int)click.Y, 0, previous.Height - 1);
        b.Include(cx, cy);
        if (current is { } c && InsideClear(b, c, previous.Width, previous.Height)) return c;
        return Place(b.X0, b.Y0, b.X1, b.Y1, previous.Width, previous.Height, options);
    }

    /// <summary>True when the bounds lie inside the rectangle without touching one of its edges that is not an image edge.</summary>
    private static bool InsideClear(PixelBounds b, PixelRect r, int width, int height) =>
        (r.X == 0 ? b.X0 >= 0 : b.X0 > r.X) && (r.Y == 0 ? b.Y0 >= 0 : b.Y0 > r.Y) &&
        (r.Right == width ? b.X1 < r.Right : b.X1 < r.Right - 1) && (r.Bottom == height ? b.Y1 < r.Bottom : b.Y1 < r.Bottom - 1);

    /// <summary>
    /// The answer to the newest of <paramref name="clicks"/> (image pixels) inside a crop, or null when the click
    /// is for the whole image (the selection is too large, or grew too large for a crop).
    /// </summary>
    public Answer? Next(IReadOnlyList<PointPrompt> clicks, Mask previous, LogitMap previousFeedback, State? previousState, CancellationToken ct)
    {
        var rect = Choose(previous, clicks[^1], previousState?.Rect, _options);
        if (rect is null) return null;
        var answer = Predict(rect.Value, clicks, previous, previousFeedback, previousState, ct);
        if (_options.RefocusOnEdge && TouchesInnerEdge(answer.Mask, rect.Value))
        {
            var b = PixelBounds.Empty;
            b.IncludeSet(answer.Mask.Data, answer.Mask.Width, answer.Mask.Height);
            var click = clicks[^1];
            b.Include(Math.Clamp((int)click.X, 0, previous.Width - 1), Math.Clamp((int)click.Y, 0, previous.Height - 1));
            var again = Place(b.X0, b.Y0, b.X1, b.Y1, previous.Width, previous.Height, _options, 2 * Math.Max(rect.Value.Width, rect.Value.Height));
            if (again is null) return null; // the object is larger than a crop: the whole image answers
            if (again.Value != rect.Value) answer = Predict(again.Value, clicks, previous, previousFeedback, previousState, ct);
        }
        return answer;
    }

    /// <summary>True when the mask has a pixel on an edge of the rectangle that is not an edge of the image.</summary>
    internal static bool TouchesInnerEdge(Mask mask, PixelRect r)
    {
        if (r.Y > 0 && mask.Row(r.Y).Slice(r.X, r.Width).IndexOfAnyExcept((byte)0) >= 0) return true;
        if (r.Bottom < mask.Height && mask.Row(r.Bottom - 1).Slice(r.X, r.Width).IndexOfAnyExcept((byte)0) >= 0) return true;
        bool left = r.X > 0, right = r.Right < mask.Width;
        if (!left && !right) return false;
        for (int y = r.Y; y < r.Bottom; y++)
        {
            var row = mask.Row(y);
            if ((left && row[r.X] != 0) || (right && row[r.Right - 1] != 0)) return true;
        }
        return false;
    }

    private Answer Predict(PixelRect rect, IReadOnlyList<PointPrompt> clicks, Mask previous, LogitMap previousFeedback, State? previousState, CancellationToken ct)
    {
        var view = ViewOf(rect, ct);
        // Clicks outside the crop say nothing about what is inside it; the newest click is always inside.
        var local = new List<PointPrompt>(clicks.Count);
        foreach (var c in clicks)
            if (c.X >= rect.X && c.Y >= rect.Y && c.X < rect.Right && c.Y < rect.Bottom)
                local.Add(c with { X = c.X - rect.X, Y = c.Y - rect.Y });
        var points = local.ToArray();

        var before = previous.Crop(rect);
        // The previous step's feedback when it was answered in this crop and nothing changed its selection since;
        // otherwise the previous logits re-expressed in the crop's frame, made to agree with the selection cut out.
        var input = previousState is { } s && s.Rect == rect && ReferenceEquals(s.Selection, previous)
            ? s.CropFeedback
            : MaskFeedback.FromSelection(before, Resample(previousFeedback, previous.Width, previous.Height, rect));

        var p = _run(view.Session, new PromptSet { Points = points, MaskInput = input }, ct);
        var (proposal, modelMask) = (p.Chosen, p.Mask);
        if (CorrectionGuard.Reconsider(p, points, before, guardCollapse: _fusion is not null || _settings.GuardCollapseAlways, _settings.Guard) is { } kept)
            (proposal, modelMask) = kept;
        else if (_settings.ClickConsistency && CorrectionGuard.Consistent(p, points, before) is { } consistent)
            (proposal, modelMask) = consistent;

        var mask = modelMask;
        var cropFeedback = proposal.LowResLogits;
        if (_fusion is not null)
        {
            var refineInput = new ColorRefineInput { Clicks = points, Saliency = view.Saliency };
            var refined = ColorRefiner.Refine(view.Pixels, p.UpscaleLogits(proposal), refineInput, _fusion.Options ?? _settings.ColorRefine, ct);
            double gate = _settings.ClickColorMinAgreement;
            if (!(gate > 0 && refined.IoU(modelMask) < gate))
            {
                mask = refined;
                if (_settings.Feedback == FusionFeedback.RefinedSelection) cropFeedback = MaskFeedback.FromSelection(refined, proposal.LowResLogits);
            }
        }

        var full = _options.Outside == FocusOutside.KeepPrevious ? previous.Clone() : new Mask(previous.Width, previous.Height);
        Paste(mask, rect, full);
        var fullLowRes = MaskFeedback.FromSelection(full, previousFeedback);
        var fullProposal = new MaskProposal(proposal.Index, proposal.Score, fullLowRes);
        var cropPrediction = p;
        var cropProposal = proposal;
        var pasted = full;
        var prediction = new MaskPrediction(full, fullProposal, [fullProposal], _ => PasteLogits(cropPrediction.UpscaleLogits(cropProposal), rect, pasted));
        return new Answer(full, prediction, fullProposal, fullLowRes, new State(rect, full, cropFeedback));
    }

    /// <summary>
    /// Low-res logits of a <paramref name="width"/> x <paramref name="height"/> image (256x256 in its padded model
    /// frame) re-expressed in the low-res grid of crop <paramref name="r"/> of it, bilinearly; the crop's padding gets
    /// a confident background logit (<see cref="MaskFeedback.FlippedLogit"/>), as nothing is there.
    /// </summary>
    internal static LogitMap Resample(LogitMap full, int width, int height, PixelRect r)
    {
        const int n = SamTransform.LowResSize;
        var tf = SamTransform.For(width, height);
        var tc = SamTransform.For(r.Width, r.Height);
        var result = new LogitMap(n, n);
        var dst = result.Data;
        dst.AsSpan().Fill(-MaskFeedback.FlippedLogit);
        var src = full.Data;
        // Image pixels per crop cell, and full-frame cells per image pixel (a cell is 4x4 model pixels).
        double cropX = 4.0 * r.Width / tc.ResizedWidth, cropY = 4.0 * r.Height / tc.ResizedHeight;
        double fullX = tf.ResizedWidth / (4.0 * width), fullY = tf.ResizedHeight / (4.0 * height);
        int cellsX = Math.Min(n, (tc.ResizedWidth + 3) / 4), cellsY = Math.Min(n, (tc.ResizedHeight + 3) / 4);
        int lastX = Math.Max(0, (tf.ResizedWidth + 3) / 4 - 1), lastY = Math.Max(0, (tf.ResizedHeight + 3) / 4 - 1);
        for (int v = 0; v < cellsY; v++)
        {
            double gy = (r.Y + (v + 0.5) * cropY) * fullY - 0.5;
            int y0 = (int)Math.Floor(gy);
            double fy = gy - y0;
            int ya = Math.Clamp(y0, 0, lastY), yb = Math.Clamp(y0 + 1, 0, lastY);
            for (int u = 0; u < cellsX; u++)
            {
                double gx = (r.X + (u + 0.5) * cropX) * fullX - 0.5;
                int x0 = (int)Math.Floor(gx);
                double fx = gx - x0;
                int xa = Math.Clamp(x0, 0, lastX), xb = Math.Clamp(x0 + 1, 0, lastX);
                double top = src[ya * n + xa] * (1 - fx) + src[ya * n + xb] * fx;
                double bottom = src[yb * n + xa] * (1 - fx) + src[yb * n + xb] * fx;
                dst[v * n + u] = (float)(top * (1 - fy) + bottom * fy);
            }
        }
        return result;
    }

    private View ViewOf(PixelRect rect, CancellationToken ct)
    {
        for (int i = 0; i < _views.Count; i++)
        {
            if (_views[i].Rect != rect) continue;
            var hit = _views[i];
            _views.RemoveAt(i);
            _views.Add(hit); // most recently used last
            return hit;
        }
        var pixels = CropOf(_encoder.Image, rect);
        var session = _encoder.Encode(pixels, ct) ?? throw new InvalidOperationException("the focus encoder returned no session");
        Encodes++;
        if (session.ImageWidth != rect.Width || session.ImageHeight != rect.Height)
        {
            session.Dispose();
            throw new SegArgumentException("focus encoder", $"returned a session on a {session.ImageWidth}x{session.ImageHeight} image for a {rect.Width}x{rect.Height} crop");
        }
        var view = new View(rect, session, pixels, _saliency is null ? null : CropOf(_saliency, rect));
        if (_views.Count == MaxViews)
        {
            _views[0].Session.Dispose();
            _views.RemoveAt(0);
        }
        _views.Add(view);
        return view;
    }

    /// <summary>Disposes every crop session (the chain starts over).</summary>
    public void Clear()
    {
        foreach (var v in _views) v.Session.Dispose();
        _views.Clear();
    }

    /// <summary>The image's pixels in <paramref name="r"/> (Compositing's <c>Crop</c> sits above this layer).</summary>
    internal static BgraImage CropOf(BgraImage image, PixelRect r)
    {
        var crop = new BgraImage(r.Width, r.Height);
        for (int y = 0; y < r.Height; y++)
            image.Row(r.Y + y).Slice(r.X * BgraImage.BytesPerPixel, r.Width * BgraImage.BytesPerPixel).CopyTo(crop.Row(y));
        return crop;
    }

    internal static LogitMap CropOf(LogitMap map, PixelRect r)
    {
        var crop = new LogitMap(r.Width, r.Height);
        for (int y = 0; y < r.Height; y++) map.Row(r.Y + y).Slice(r.X, r.Width).CopyTo(crop.Row(y));
        return crop;
    }

    /// <summary>Copies a crop-sized mask into <paramref name="full"/> at the crop's place.</summary>
    internal static void Paste(Mask crop, PixelRect r, Mask full)
    {
        for (int y = 0; y < r.Height; y++) crop.Row(y).CopyTo(full.Row(r.Y + y).Slice(r.X, r.Width));
    }

    /// <summary>
    /// Full-size logits: the crop's inside it, and outside a confident logit of the selection's side
    /// (<see cref="MaskFeedback.FlippedLogit"/>), as no model looked there.
    /// </summary>
    internal static LogitMap PasteLogits(LogitMap crop, PixelRect r, Mask selection)
    {
        var full = new LogitMap(selection.Width, selection.Height);
        var d = full.Data;
        var s = selection.Data;
        for (int i = 0; i < d.Length; i++) d[i] = s[i] != 0 ? MaskFeedback.FlippedLogit : -MaskFeedback.FlippedLogit;
        for (int y = 0; y < r.Height; y++) crop.Row(y).CopyTo(full.Row(r.Y + y).Slice(r.X, r.Width));
        return full;
    }
}
