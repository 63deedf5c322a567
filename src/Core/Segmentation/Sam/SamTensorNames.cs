namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>Tensor names of the official SAM ONNX prompt-decoder export and of the common encoder exports.</summary>
internal static class SamTensorNames
{
    public const string ImageEmbeddings = "image_embeddings";
    public const string PointCoords = "point_coords";
    public const string PointLabels = "point_labels";
    public const string MaskInput = "mask_input";
    public const string HasMaskInput = "has_mask_input";
    public const string OrigImSize = "orig_im_size";

    public const string Masks = "masks";
    public const string IouPredictions = "iou_predictions";
    public const string LowResMasks = "low_res_masks";

    /// <summary>Point labels of the decoder: padding, negative, positive, box top-left, box bottom-right.</summary>
    public const float LabelPadding = -1, LabelNegative = 0, LabelPositive = 1, LabelBoxTopLeft = 2, LabelBoxBottomRight = 3;

    /// <summary>Embedding shape [1,256,64,64] shared by SAM ViT-B/L/H and MobileSAM.</summary>
    public const int EmbeddingChannels = 256, EmbeddingSize = 64;
    public const int EmbeddingLength = EmbeddingChannels * EmbeddingSize * EmbeddingSize;
}
