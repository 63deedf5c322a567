using SegPlugins.Core.Compositing;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Effects.MagicSelect.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Effects.MagicSelect;

/// <summary>
/// The host-neutral body of the magic-select effect. <see cref="Prepare"/> runs the model once per change of
/// settings or input and keeps the finished image; <see cref="CopyTile"/> then hands out pieces of it, from any
/// number of threads at once. The image embedding is kept per source image, so moving points only re-runs the
/// small decoder, and changing only the look (output mode, grow, feather, refinement) re-runs neither model.
/// Pixels outside the active selection are always the source's.
/// </summary>
public sealed class MagicSelectRenderer
{
    private readonly ISamModelProvider _models;
    private readonly object _prepareLock = new();
    private readonly OutputPool _outputs = new();

    // One cache per stage, each keyed by what its result depends on; touched only under _prepareLock.
    private MagicSelectSettings? _lastSettings;
    private InputKey? _lastInput;
    private readonly StageCache<(SamSession Session, UInt128 Source), SamImageEmbedding> _embeddings = new();
    private readonly StageCache<UInt128, LogitMap> _saliency = new();
    private readonly StageCache<(SamImageEmbedding Embedding, LogitMap? Saliency, bool Fused), ClickChain> _chains = new();
    private readonly StageCache<(ClickChain Chain, string Prompts), ClickChain.Result> _answers = new();
    private readonly StageCache<(Mask Answer, int Width, int Height, UInt128 Edited), Refinement.Matting.Matte> _mattes = new();
    private readonly StageCache<(UInt128 Hash, bool None, PixelRect Bounds, int Width, int Height), Mask> _selections = new();
    private string _guideNote = "";
    private int _embeddingRequests;
    private int _predictions;

    public MagicSelectRenderer(ISamModelProvider models) =>
        _models = models ?? throw new SegArgumentException("models", "is null; pass a SamModelProvider");

    /// <summary>
    /// When true, a prompt or model problem shows as red diagonal stripes over the selection instead of the
    /// unchanged source, for hosts that have no place to show <see cref="EffectStatus.Message"/>. Cancellation
    /// always leaves the source.
    /// </summary>
    public bool ShowProblemOverlay { get; init; }

    /// <summary>
    /// One line about where the models run, added to every ready message: for a host whose user chose a GPU and who
    /// should learn that the effect runs elsewhere (e.g. "Running on the CPU: DirectML failed ..."). Null adds nothing.
    /// </summary>
    public string? DeviceNote { get; init; }

    /// <summary>
    /// Default of <see cref="MaxPixels"/>: the file loader's limit. The effect keeps several full-size planes (a copy
    /// of the source, the selection, masks, the output and the previous one: about 24 bytes a pixel), so 100 MP already needs about 2.4 GB.
    /// </summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Largest canvas (width*height) the effect works on; larger ones get one clear message and the source unchanged.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// The refusal for a canvas over <paramref name="maxPixels"/>, or null when it fits. Hosts call this before copying
    /// the canvas so that a huge one costs nothing.
    /// </summary>
    public static EffectStatus? CheckCanvasSize(int width, int height, long maxPixels = DefaultMaxPixels)
    {
        long pixels = (long)width * height;
        if (pixels <= maxPixels) return null;
        return new EffectStatus(EffectStatusKind.Error,
            $"The image is {width}x{height} = {pixels / 1e6:0.##} MP; Magic Select works on images up to {maxPixels / 1e6:0.##} MP. Crop or resize a copy of the image and select there.");
    }

    /// <summary>The status of the last <see cref="Prepare"/>, or null before the first.</summary>
    public EffectStatus? Status => _outputs.Current?.Status;

    /// <summary>
    /// The prepared full-size output, or null before the first <see cref="Prepare"/>. Never modified after it is
    /// published: an image read here is never reused for a later output (hosts that only copy tiles let the renderer
    /// write the previous output's buffer again, which saves a full-size allocation per render).
    /// </summary>
    public BgraImage? Output
    {
        get
        {
            var p = Acquire();
            if (p is null) return null;
            p.Exposed = true;
            Release(p);
            return p.Image;
        }
    }

    /// <summary>Times the renderer asked the model for an image embedding (once per source image and model).</summary>
    public int EmbeddingRequests => Volatile.Read(ref _embeddingRequests);

    /// <summary>Outputs written into the buffer of an earlier one (read under the renderer's lock; for tests).</summary>
    internal int RecycledOutputs => _outputs.Recycled;

    /// <summary>Times the prompt decoder ran.</summary>
    public int Predictions => Volatile.Read(ref _predictions);

    /// <summary>
    /// Computes the output for <paramref name="settings"/> on <paramref name="input"/>. Returns at once when neither
    /// changed since the last ready result. Never throws: problems and cancellation come back as the status, and
    /// the output is then the source unchanged.
    /// </summary>
    public EffectStatus Prepare(MagicSelectSettings settings, MagicSelectInput input, CancellationToken cancellationToken = default)
    {
        if (settings is null) return Fail(null, new EffectStatus(EffectStatusKind.Error, "settings: are missing"));
        if (input is null) return Fail(null, new EffectStatus(EffectStatusKind.Error, "input: the source image is missing"));
        lock (_prepareLock)
        {
            if (CheckCanvasSize(input.Source.Width, input.Source.Height, MaxPixels) is { } tooLarge)
            {
                // Checked before hashing or hatching: nothing here may allocate another full-size plane.
                _lastSettings = null;
                _lastInput = null;
                _outputs.Install(new OutputPool.Prepared(input.Source, tooLarge, owned: false));
                return tooLarge;
            }
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var key = InputKey.Of(input);
                if (_outputs.Current is { } p && p.Status.Kind is EffectStatusKind.Ready or EffectStatusKind.NeedsPrompt
                    && settings == _lastSettings && key == _lastInput)
                    return p.Status;

                var status = Run(settings, input, key, cancellationToken);
                _lastSettings = settings;
                _lastInput = key;
                return status;
            }
            catch (OperationCanceledException)
            {
                return Fail(input, new EffectStatus(EffectStatusKind.Cancelled, "Cancelled."));
            }
            catch (SegException e)
            {
                return Fail(input, new EffectStatus(EffectStatusKind.Error, e.Message) { Cause = e });
            }
            catch (Exception e)
            {
                // A resolver or type initialiser may wrap our own error (e.g. the native library search); show that one.
                for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
                    if (inner is SegException se) return Fail(input, new EffectStatus(EffectStatusKind.Error, se.Message) { Cause = e });
                // Hosts must never see an exception from here; the message still says what broke.
                return Fail(input, new EffectStatus(EffectStatusKind.Error, $"Magic select failed: {e.GetType().Name}: {Inference.OnnxModelLoader.FirstLine(e.Message)}") { Cause = e });
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="rect"/> of the prepared output into <paramref name="destination"/> (BGRA, straight alpha,
    /// <paramref name="destinationStride"/> bytes per row). Thread-safe and allocation-free. Returns false (and copies
    /// nothing) before the first <see cref="Prepare"/>.
    /// </summary>
    public bool CopyTile(PixelRect rect, Span<byte> destination, int destinationStride)
    {
        var p = Acquire();
        if (p is null) return false;
        try
        {
            rect.CheckInside(p.Image.Width, p.Image.Height, "tile");
            if (destinationStride < rect.Width * 4)
                throw new SegArgumentException("destination stride", $"must be at least {rect.Width * 4} bytes for a {rect.Width} px wide tile, got {destinationStride}");
            if ((long)destinationStride * (rect.Height - 1) + rect.Width * 4L > destination.Length)
                throw new SegArgumentException("destination", $"{destination.Length} bytes is too small for a {rect.Width}x{rect.Height} tile with stride {destinationStride}");
            EffectPixels.CopyRect(p.Image, rect, destination, destinationStride);
            return true;
        }
        finally { Release(p); }
    }

    /// <summary>The current output, counted as read until <see cref="Release"/> (see <see cref="OutputPool.Acquire"/>).</summary>
    internal OutputPool.Prepared? Acquire() => _outputs.Acquire();

    internal static void Release(OutputPool.Prepared p) => OutputPool.Release(p);

    /// <summary>
    /// The SAM prompts the settings give on this input, or null when there is nothing to look for. The points are
    /// the clicks in the order the effect reads them: include 1, exclude 1, include 2, exclude 2, and so on (switched-off
    /// points left out), which is how points get added while correcting a selection.
    /// </summary>
    public static PromptSet? BuildPrompts(MagicSelectSettings settings, MagicSelectInput input)
    {
        int w = input.Source.Width, h = input.Source.Height;
        var points = new List<PointPrompt>();
        bool anyPositive = false;
        for (int i = 0; i < Math.Max(settings.Include.Count, settings.Exclude.Count); i++)
        {
            if (i < settings.Include.Count && settings.Include[i] is { On: true } inc)
            {
                var (x, y) = PanCoordinates.ToPixel(inc.At, w, h);
                points.Add(PointPrompt.Include(x, y));
                anyPositive = true;
            }
            if (i < settings.Exclude.Count && settings.Exclude[i] is { On: true } exc)
            {
                var (x, y) = PanCoordinates.ToPixel(exc.At, w, h);
                points.Add(PointPrompt.Exclude(x, y));
            }
        }
        // With nothing selected hosts report the whole canvas; a box around everything says nothing about the object.
        BoxXyxy? box = settings.UseSelectionBox && !input.BoundsCoverImage
            ? new BoxXyxy(input.SelectionBounds.X, input.SelectionBounds.Y, input.SelectionBounds.Right, input.SelectionBounds.Bottom)
            : null;
        if (!anyPositive && box is null) return null;
        return new PromptSet { Points = points, Box = box };
    }

    private EffectStatus Run(MagicSelectSettings settings, MagicSelectInput input, InputKey key, CancellationToken ct)
    {
        var prompts = BuildPrompts(settings, input);
        if (prompts is null)
        {
            var msg = settings.UseSelectionBox
                ? "Nothing to look for: switch on an include point, or select a rectangle around the object."
                : "Nothing to look for: switch on an include point, or tick 'Use selection bounds as box' and select around the object.";
            return Publish(ProblemImage(input), new EffectStatus(EffectStatusKind.NeedsPrompt, msg));
        }

        var session = _models.Get(settings, ct);
        ct.ThrowIfCancellationRequested();
        var embedding = _embeddings.GetOrMake((session, key.SourceHash), () =>
        {
            Interlocked.Increment(ref _embeddingRequests);
            return session.Embed(input.Source, null, ct);
        });
        ct.ThrowIfCancellationRequested();

        // The subject guide reads include point 1 as "this object"; a selection box already says where the object is.
        var saliency = settings.SubjectGuide && ClickDefaults.GuidesFirstClick(prompts.Points, prompts.Box)
            ? SaliencyFor(input.Source, key.SourceHash, ct) : null;
        // The chain keeps its clicks' answers: moving a later point re-runs the decoder from that point on only.
        var chain = _chains.GetOrMake((embedding, saliency, settings.RefineColors), () =>
            new ClickChain(new SamImageSession(session, embedding), saliency, null,
                settings.RefineColors ? BoxFusion(input.Source) : null, null, new FocusEncoder(input.Source, session.ForImage)));
        // Points are read as successive clicks, each refining the last answer (see ClickChain).
        var result = _answers.GetOrMake((chain, Describe(prompts)), () =>
        {
            int runs = chain.DecoderRuns;
            try { return chain.Predict(prompts.Points, prompts.Box, ct); }
            finally { Interlocked.Add(ref _predictions, chain.DecoderRuns - runs); }
        });
        ct.ThrowIfCancellationRequested();

        var src = input.Source;
        // With no selection the effect covers the whole canvas: nothing to clip to, nothing to put back.
        bool whole = input.Selection is null && input.BoundsCoverImage;
        var selection = whole ? null : SelectionFor(input, key);
        var mask = selection is null ? result.Mask : result.Mask.Intersect(selection);
        if (settings.GrowShrink > 0) mask = mask.Grow(settings.GrowShrink);
        else if (settings.GrowShrink < 0) mask = mask.Shrink(-settings.GrowShrink);
        ct.ThrowIfCancellationRequested();
        var matte = settings.RefineHair ? HairMatte(src, result, mask, prompts, ct) : null;
        var alpha = matte?.Alpha ?? (settings.Feather > 0 ? mask.Feather(settings.Feather) : mask.ToSoftMask());
        if (settings.RefineEdges && matte is null) alpha = alpha.RefineEdges(src);
        ct.ThrowIfCancellationRequested();
        // What the object looks like: with a hair matte its estimated colours, so no old background shows in the hair.
        var objectColours = matte?.Foreground ?? src;

        var reuse = _outputs.Reuse(src.Width, src.Height);
        var output = settings.Output switch
        {
            MagicSelectOutput.KeepObject => Compositor.CutOut(objectColours, alpha, null, reuse),
            MagicSelectOutput.EraseObject => Compositor.CutOut(src, alpha.Invert(), null, reuse),
            // Source over the primary colour with the inverted alpha is exactly "fill the object".
            MagicSelectOutput.FillObjectWithPrimary => Compositor.ReplaceBackground(src, alpha.Invert(), Color(input.Primary), null, reuse),
            MagicSelectOutput.ShowMask => EffectPixels.MaskToGrey(alpha, reuse),
            MagicSelectOutput.ReplaceBackgroundWithSecondary => Compositor.ReplaceBackground(objectColours, alpha, Color(input.Secondary), null, reuse),
            MagicSelectOutput.BlurBackground => matte is null
                ? Compositor.ReplaceBackground(src, alpha, Background.Blur(settings.BackgroundBlur), null, reuse)
                : matte.ReplaceBackground(Background.Blur(settings.BackgroundBlur), src, reuse),
            _ => throw new SegArgumentException(MagicSelectSchema.Output, $"unknown output mode {settings.Output}"),
        };
        ct.ThrowIfCancellationRequested();
        if (selection is not null) EffectPixels.KeepSourceOutside(output, src, selection);

        long area = mask.Area();
        float score = result.Proposal.Score;
        var message = area == 0
            ? "No object found inside the selection; move the include points onto the object."
            : $"Object: {area:N0} px (model confidence {score:0.00}){(result.SubjectBox is null ? "" : ", read as the whole subject")}.";
        if (saliency is null && _guideNote.Length > 0 && settings.SubjectGuide) message += " " + _guideNote;
        if (DeviceNote is { Length: > 0 } device) message += " " + device;
        return Publish(output, new EffectStatus(EffectStatusKind.Ready, message) { Score = score, ObjectArea = area }, owned: true);
    }

    /// <summary>
    /// The hair matte of the current selection, solved once per selection (moving nothing re-renders for free). A
    /// selection from the box alone is matted within the box's salient object when the host has the subject model.
    /// </summary>
    private Refinement.Matting.Matte HairMatte(BgraImage src, ClickChain.Result result, Mask mask, PromptSet prompts, CancellationToken ct) =>
        _mattes.GetOrMake((result.Mask, mask.Width, mask.Height, Hash(mask)),
            () => prompts is { Box: { } box, Points.Count: 0 }
                ? Refinement.Matting.SelectionMatting.FromBox(src, result.Logits, mask, box, SubjectModelOrNull(ct), cancellationToken: ct)
                : Refinement.Matting.SelectionMatting.FromSelection(src, result.Logits, mask, cancellationToken: ct));

    /// <summary>
    /// Colour fusion on <paramref name="source"/> whose box alone is refined with the box crop's salient-object map
    /// (<see cref="Refinement.ColorRefineOptions.BoxSaliency"/>); the subject model is opened only when a box asks, and
    /// without one the box is refined with the model and the colours alone.
    /// </summary>
    private ColorFusion BoxFusion(BgraImage source) => new(source)
    {
        BoxSaliency = (prompts, token) => SubjectModelOrNull(token) is { } subject ? Refinement.ColorRefiner.BoxSaliency(subject, source, prompts, null, token) : null,
    };

    /// <summary>The host's subject model, or null when it has none or it cannot be opened (the matte then uses the selection as it is).</summary>
    private Segmentation.Subject.SubjectSelector? SubjectModelOrNull(CancellationToken ct)
    {
        try { return _models.GetSubjectModel(ct); }
        catch (SegException) { return null; }
    }

    private static UInt128 Hash(Mask mask) => System.IO.Hashing.XxHash128.HashToUInt128(mask.Data);

    /// <summary>
    /// The salient-object map of the source, computed once per source image; null when the host has no subject
    /// model or it cannot be opened (the first click is then read plainly, and the status says why).
    /// </summary>
    private LogitMap? SaliencyFor(BgraImage source, UInt128 hash, CancellationToken ct)
    {
        if (_saliency.TryGet(hash, out var kept)) return kept;
        _saliency.Clear();
        Segmentation.Subject.SubjectSelector? subject;
        try { subject = _models.GetSubjectModel(ct); }
        catch (SegException e)
        {
            _guideNote = $"(First point read plainly: the subject model is unavailable: {Inference.OnnxModelLoader.FirstLine(e.Message)})";
            return null;
        }
        if (subject is null) { _guideNote = ""; return null; }
        _guideNote = "";
        var map = subject.Saliency(source, ct);
        _saliency.Set(hash, map);
        return map;
    }

    private static Background Color(Bgra32 c) => Background.Color(c.R, c.G, c.B, c.A);

    private static string Describe(PromptSet p)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var pt in p.Points) sb.Append(pt.Positive ? '+' : '-').Append(pt.X).Append(',').Append(pt.Y).Append(';');
        if (p.Box is { } b) sb.Append("box").Append(b.X0).Append(',').Append(b.Y0).Append(',').Append(b.X1).Append(',').Append(b.Y1);
        return sb.ToString();
    }

    private EffectStatus Publish(BgraImage image, EffectStatus status, bool owned = false)
    {
        _outputs.Install(new OutputPool.Prepared(image, status, owned));
        return status;
    }

    /// <summary>The selection as a mask, made once per selection and canvas.</summary>
    private Mask SelectionFor(MagicSelectInput input, InputKey key)
    {
        var src = input.Source;
        return _selections.GetOrMake((key.SelectionHash, input.Selection is null, input.SelectionBounds, src.Width, src.Height),
            () => EffectPixels.SelectionMask(src.Width, src.Height, input.SelectionBounds, input.Selection));
    }

    private EffectStatus Fail(MagicSelectInput? input, EffectStatus status)
    {
        _lastSettings = null;
        _lastInput = null;
        if (input is not null)
        {
            BgraImage image = input.Source;
            if (status.Kind == EffectStatusKind.Error)
            {
                try { image = ProblemImage(input); }
                catch (Exception) { image = input.Source; } // the overlay must not turn one problem into two
            }
            _outputs.Install(new OutputPool.Prepared(image, status, owned: false));
        }
        return status;
    }

    private BgraImage ProblemImage(MagicSelectInput input) => !ShowProblemOverlay ? input.Source
        : EffectPixels.Hatch(input.Source, EffectPixels.SelectionMask(input.Source.Width, input.Source.Height, input.SelectionBounds, input.Selection));

    /// <summary>Identifies an input by content: pixels, selection and colours.</summary>
    private sealed record InputKey(UInt128 SourceHash, UInt128 SelectionHash, PixelRect Bounds, Bgra32 Primary, Bgra32 Secondary)
    {
        public static InputKey Of(MagicSelectInput input)
        {
            UInt128 sel = 0;
            if (input.Selection is { } m)
            {
                var h = new System.IO.Hashing.XxHash128();
                h.Append(m.Data);
                sel = h.GetCurrentHashAsUInt128();
            }
            return new InputKey(SamImageEmbedding.HashImage(input.Source), sel, input.SelectionBounds, input.Primary, input.Secondary);
        }
    }
}
