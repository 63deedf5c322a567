namespace SegPlugins.Core.Segmentation.Everything;

/// <summary>
/// Settings of automatic ("segment everything") mask generation with a SAM-family model, validated once.
/// Defaults follow SAM's automatic mask generator (32 points per side, predicted IoU 0.88, stability 0.95 with
/// offset 1, box NMS 0.7, crop overlap 512/1500); <see cref="Cpu"/> halves the grid for CPU use.
/// </summary>
public sealed record EverythingOptions
{
    private readonly int _pointsPerSide = 32;
    private readonly float _predIou = 0.88f, _stability = 0.95f, _offset = 1f, _nms = 0.7f, _cropNms = 0.7f, _overlap = 512f / 1500f;
    private readonly int _cropLayers, _downscale = 1, _minRegion, _parallel = Environment.ProcessorCount, _perRun = 16;

    /// <summary>Grid of single-point prompts: this many points along each side (n x n in all).</summary>
    public int PointsPerSide { get => _pointsPerSide; init => _pointsPerSide = value is >= 1 and <= 128 ? value : throw new SegArgumentException("points per side", $"must be 1..128, got {value}"); }

    /// <summary>Masks whose predicted IoU is at or below this are dropped.</summary>
    public float PredIouThreshold { get => _predIou; init => _predIou = Unit(value, "predicted IoU threshold"); }

    /// <summary>
    /// Masks whose stability score is below this are dropped. The score is count(logit &gt; +offset) /
    /// count(logit &gt; -offset), computed on the 256x256 low-res logits over the cells that cover the image
    /// (before any upscaling; on the upscaled logits the ratio differs only along the edge).
    /// </summary>
    public float StabilityScoreThreshold { get => _stability; init => _stability = Unit(value, "stability score threshold"); }

    /// <summary>Logit offset of the stability score.</summary>
    public float StabilityScoreOffset { get => _offset; init => _offset = float.IsFinite(value) && value > 0 ? value : throw new SegArgumentException("stability offset", $"must be a positive logit, got {value}"); }

    /// <summary>Box IoU above which the lower-scoring of two masks is dropped.</summary>
    public float BoxNmsThreshold { get => _nms; init => _nms = Unit(value, "box NMS threshold"); }

    /// <summary>Extra layers of image crops (layer i has 2^i x 2^i crops) for small objects; 0 = the whole image only.</summary>
    public int CropLayers { get => _cropLayers; init => _cropLayers = value is >= 0 and <= 3 ? value : throw new SegArgumentException("crop layers", $"must be 0..3, got {value}"); }

    /// <summary>Overlap of neighbouring crops as a fraction of the image's shorter side (at layer 1).</summary>
    public float CropOverlapRatio { get => _overlap; init => _overlap = value is >= 0 and < 1 ? value : throw new SegArgumentException("crop overlap", $"must be in 0..1, got {value}"); }

    /// <summary>Box IoU for removing duplicates between crops (smaller crops win).</summary>
    public float CropNmsThreshold { get => _cropNms; init => _cropNms = Unit(value, "crop NMS threshold"); }

    /// <summary>Layer i uses PointsPerSide / downscale^i points per side.</summary>
    public int CropPointsDownscale { get => _downscale; init => _downscale = value is >= 1 and <= 8 ? value : throw new SegArgumentException("crop points downscale", $"must be 1..8, got {value}"); }

    /// <summary>When above 0, islands smaller than this are removed and holes smaller than this filled (pixels).</summary>
    public int MinRegionArea { get => _minRegion; init => _minRegion = value >= 0 ? value : throw new SegArgumentException("min region area", $"must be >= 0 pixels, got {value}"); }

    /// <summary>Decoder runs in flight at once (default: one per core).</summary>
    public int MaxParallelism { get => _parallel; init => _parallel = value is >= 1 and <= 256 ? value : throw new SegArgumentException("parallelism", $"must be 1..256, got {value}"); }

    /// <summary>
    /// Grid points answered by one decoder run where the decoder export takes a batch of prompts (the official export
    /// does, see docs/fastsam-everything.md); 1 runs them one at a time. Measured with MobileSAM's decoder alone on 2
    /// loaded cores, batches of 4, 16 and 64 took 0.85x, 0.78x and 0.57x the time per prompt of single runs; 16
    /// because a batch holds about 20 MB of activations per prompt (estimated from the decoder's tensor shapes: its
    /// output upscaling alone is 12 MB per prompt), so 64 would need over a gigabyte.
    /// </summary>
    public int PromptsPerRun { get => _perRun; init => _perRun = value is >= 1 and <= 256 ? value : throw new SegArgumentException("prompts per run", $"must be 1..256, got {value}"); }

    public static EverythingOptions Default { get; } = new();

    /// <summary>A cheaper grid for CPU-only machines: 16 points per side (256 decoder runs instead of 1024).</summary>
    public static EverythingOptions Cpu { get; } = new() { PointsPerSide = 16 };

    private static float Unit(float v, string name) =>
        float.IsFinite(v) && v >= 0 && v <= 1 ? v : throw new SegArgumentException(name, $"must be in 0..1, got {v}");
}
