namespace SegPlugins.Core.Segmentation.FastSam;

/// <summary>
/// FastSAM decoding settings, validated once. Defaults are the published FastSAM inference defaults
/// (confidence 0.4, NMS IoU 0.9, retina masks thresholded at 0.5, at most 300 detections).
/// </summary>
public sealed record FastSamOptions
{
    private readonly int? _inputSize;
    private readonly float _confidence = 0.4f;
    private readonly float _iou = 0.9f;
    private readonly float _maskThreshold = 0.5f;
    private readonly int _maxDetections = 300;

    /// <summary>Side of the square letterboxed input; null reads it from the model (metadata <c>imgsz</c>, else the input shape, else 1024).</summary>
    public int? InputSize
    {
        get => _inputSize;
        init => _inputSize = value is null or (>= 32 and <= 4096) && (value ?? 32) % 32 == 0 ? value
            : throw new SegArgumentException("input size", $"must be a multiple of 32 in 32..4096 (the model's largest stride), got {value}");
    }

    /// <summary>Detections with a class score at or below this are dropped.</summary>
    public float ConfidenceThreshold { get => _confidence; init => _confidence = Unit(value, "confidence threshold"); }

    /// <summary>A detection whose box overlaps a more confident kept one by more than this IoU is a duplicate.</summary>
    public float IouThreshold { get => _iou; init => _iou = Unit(value, "IoU threshold"); }

    /// <summary>Mask probability above which a pixel is selected.</summary>
    public float MaskThreshold { get => _maskThreshold; init => _maskThreshold = Unit(value, "mask threshold"); }

    public int MaxDetections
    {
        get => _maxDetections;
        init => _maxDetections = value is >= 1 and <= 10000 ? value : throw new SegArgumentException("max detections", $"must be 1..10000, got {value}");
    }

    /// <summary>Masks of at most this many pixels are not scored for text prompts (FastSAM skips them: too small for CLIP).</summary>
    public int TextMinArea
    {
        get => _textMinArea;
        init => _textMinArea = value >= 0 ? value : throw new SegArgumentException("text min area", $"must be >= 0 pixels, got {value}");
    }

    private readonly int _textMinArea = 100;

    public static FastSamOptions Default { get; } = new();

    private static float Unit(float v, string name) =>
        float.IsFinite(v) && v >= 0 && v <= 1 ? v : throw new SegArgumentException(name, $"must be in 0..1, got {v}");
}
