using SegPlugins.Core.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Evaluation;

/// <summary>
/// Feeds back logits like <see cref="ClickStrategyKind.FeedbackLogits"/>, and from <see cref="ZoomInOptions.FromClick"/>
/// on predicts inside a crop around the current mask and the clicks. The encoder resizes its input to a fixed
/// side, so a crop gives the object more model pixels and sharper outlines, at the cost of encoding the crop.
/// The crop is kept while the clicks stay inside it; views of crops are cached for the whole image.
/// </summary>
internal sealed class ZoomInStrategy : IClickStrategy
{
    /// <summary>Logit for "surely background", given to places a carried-over mask never covered (SAM logits are about ±20 at most).</summary>
    private const float OutsideLogit = -20f;

    private readonly ZoomInOptions _options;

    public ZoomInStrategy(ZoomInOptions options)
    {
        options.Validate();
        _options = options;
    }

    public string Name => "zoom-in";

    public IClickEpisode Begin(ClickEpisodeContext context)
    {
        if (context.OpenView is null)
            throw new SegArgumentException("strategy", "zoom-in needs a way to open a session on a crop of the image; none was given");
        return new Episode(context, _options);
    }

    private sealed class Episode(ClickEpisodeContext context, ZoomInOptions options) : IClickEpisode
    {
        private readonly Dictionary<CropFrame, ISegmentationSession> _views = new();
        private readonly CropFrame _whole = CropFrame.Whole(context.Image);
        private Mask? _mask;
        private LogitMap? _logits;
        private CropFrame _frame;
        private CropFrame? _crop;

        public Mask Predict(IReadOnlyList<PointPrompt> clicks, CancellationToken ct)
        {
            if (clicks.Count < options.FromClick || _mask is null)
            {
                var full = Run(_whole, clicks, ct);
                if (clicks.Count < options.FromClick) return full;
            }

            var latest = clicks[^1];
            if (_crop is not { } crop || !crop.Contains(latest.X, latest.Y))
                crop = ChooseCrop(_mask, clicks);
            var mask = Run(crop, clicks, ct);
            if (options.GrowOnEdge && crop != _whole && TouchesInside(crop, mask))
            {
                var grown = ChooseCrop(_mask, clicks, crop);
                if (grown != crop)
                {
                    crop = grown;
                    mask = Run(crop, clicks, ct);
                }
            }
            _crop = crop;
            return mask;
        }

        private bool TouchesInside(CropFrame crop, Mask fullMask)
        {
            var local = new Mask(crop.Width, crop.Height);
            for (int y = 0; y < crop.Height; y++)
                fullMask.Row(crop.Y0 + y).Slice(crop.X0, crop.Width).CopyTo(local.Row(y));
            return crop.TouchesInnerEdge(local, context.Image.Width, context.Image.Height);
        }

        /// <summary>A crop around <paramref name="mask"/>, the clicks and (when given) an earlier crop; the whole image when zooming gains little.</summary>
        private CropFrame ChooseCrop(Mask? mask, IReadOnlyList<PointPrompt> clicks, CropFrame? include = null)
        {
            int w = context.Image.Width, h = context.Image.Height;
            if (!CropFrame.Bounds(mask, clicks, out int x0, out int y0, out int x1, out int y1)) return _whole;
            if (include is { } c)
            {
                x0 = Math.Min(x0, c.X0); y0 = Math.Min(y0, c.Y0);
                x1 = Math.Max(x1, c.X0 + c.Width - 1); y1 = Math.Max(y1, c.Y0 + c.Height - 1);
            }
            var crop = CropFrame.Around(x0, y0, x1, y1, options.Expansion, options.MinCropSize, w, h);
            double gain = (double)Math.Max(w, h) / Math.Max(crop.Width, crop.Height);
            return gain < options.MinZoomGain ? _whole : crop;
        }

        /// <summary>Predicts in <paramref name="frame"/>, remembers mask and logits, returns the full-image mask.</summary>
        private Mask Run(CropFrame frame, IReadOnlyList<PointPrompt> clicks, CancellationToken ct)
        {
            var session = View(frame, ct);
            var points = new PointPrompt[clicks.Count];
            for (int i = 0; i < points.Length; i++) points[i] = frame.ToCrop(clicks[i]);

            LogitMap? input = null;
            if (_logits is not null)
            {
                if (_frame == frame) input = _logits;
                else if (options.CarryLogits) input = CropFrame.Resample(_logits, _frame, frame, OutsideLogit);
            }
            var prediction = session.Predict(new PromptSet { Points = points, MaskInput = input }, null, ct);
            _logits = prediction.LowResLogits;
            _frame = frame;
            _mask = frame == _whole ? prediction.Mask : frame.PasteInto(prediction.Mask, context.Image.Width, context.Image.Height);
            return _mask;
        }

        private ISegmentationSession View(CropFrame frame, CancellationToken ct)
        {
            if (frame == _whole) return context.Session;
            if (_views.TryGetValue(frame, out var view)) return view;
            var pixels = frame.Cut(context.Image);
            view = context.OpenView!(pixels);
            if (!view.HasImage) view.SetImage(pixels, ct);
            _views.Add(frame, view);
            return view;
        }

        public void Dispose()
        {
            foreach (var v in _views.Values) v.Dispose();
            _views.Clear();
        }
    }
}
