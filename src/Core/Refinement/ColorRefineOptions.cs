namespace SegPlugins.Core.Refinement;

/// <summary>Settings of <see cref="ColorRefiner"/>. Validated when used.</summary>
public sealed record ColorRefineOptions
{
    /// <summary>Gaussian components of each side's colour mixture (GrabCut's choice).</summary>
    public int Components { get; init; } = 5;

    /// <summary>
    /// Rounds of fitting the colour mixtures to the labels and cutting: the first fits them to the model's answer,
    /// the second refits them to the first cut. More rounds drift further from the model and cost time without
    /// helping on GrabCut (docs/evaluation.md).
    /// </summary>
    public int Rounds { get; init; } = 2;

    /// <summary>
    /// Weight of the model's opinion: a label costs <c>ModelWeight · −log σ(±logit / ModelTemperature)</c> nats on
    /// top of its colour cost. The temperature flattens SAM's logits (often ±10 to ±20), which are far more certain
    /// than the model is right; measured on GrabCut with MobileSAM (docs/evaluation.md).
    /// </summary>
    public double ModelWeight { get; init; } = 0.5;

    /// <inheritdoc cref="ModelWeight"/>
    public double ModelTemperature { get; init; } = 4;

    /// <summary>
    /// γ of GrabCut's contrast-sensitive smoothness term (in nats; γ·exp(−β‖Δc‖²) per neighbour pair). Lower follows
    /// colour edges more closely, higher gives rounder selections.
    /// </summary>
    public double Smoothness { get; init; } = 12;

    /// <summary>
    /// Weight of the salient-object map (when one is given and agrees with the prompts, see
    /// <see cref="ColorRefineInput.Saliency"/>): its logit, clipped to ±10, times this, as a third −log σ cost.
    /// </summary>
    public double SaliencyWeight { get; init; } = 0.5;

    /// <summary>
    /// Side of the working region relative to the box around the model's mask, the positive clicks and the prompt
    /// box; 1.4 adds 20 % on each side (the context margin of RITM's zoom-in). Pixels outside stay unselected.
    /// </summary>
    public double Expansion { get; init; } = 1.4;

    /// <summary>
    /// Largest working grid in pixels; a larger region is averaged down to it and the labels are scaled back up.
    /// The default keeps a refinement near 0.1 s on 2 cores; its cells are still finer than the model's own
    /// 256x256 answer on any image over 0.1 MP.
    /// </summary>
    public int MaxWorkingPixels { get; init; } = 100_000;

    /// <summary>Radius in image pixels of the disc around each click that keeps the click's label.</summary>
    public int ClickRadius { get; init; } = 3;

    /// <summary>
    /// Around each click, the model's own answer is kept where it agrees with the click, out to this fraction of the
    /// working region's diagonal (the part of the model's selection or background that holds the click, no
    /// farther): a click on the spoon removes the spoon the model removed, even where the colour models would give
    /// it back. 0 keeps only the disc of <see cref="ClickRadius"/>.
    /// </summary>
    public double ClickReach { get; init; } = 0.1;

    /// <summary>
    /// A box prompt alone (no clicks) whose shorter side is under this many image pixels is left to the model (<see cref="ColorRefiner.Refine"/>
    /// returns the model's answer, <see cref="ColorRefiner.PriorFor"/> the model's own choice): the colour mixtures of a
    /// small box are fitted to a few thousand pixels, and small objects in busy photos lose to look-alike colours
    /// around them. Chosen on both dev sets with MobileSAM (docs/evaluation.md, "Box prompts"): cocomval-dev box mIoU
    /// 0.8331 (always refine) -&gt; 0.8458 at 48-64 px; GrabCut unchanged at 0.9312 / tight 0.9411 up to 128 px, falling
    /// beyond (192 px: 0.9276 / 0.9379, with cocomval-dev 0.8483). 0 refines every box.
    /// </summary>
    public int MinBoxSide { get; init; } = 64;

    /// <summary>
    /// A box alone (no clicks, at least <see cref="MinBoxSide"/>) is refined with the salient-object map of the box's
    /// crop as a third opinion beside the model and the colours (<see cref="ColorRefiner.BoxSaliency"/>, weighted by
    /// <see cref="SaliencyWeight"/>), where the host has the subject model and the map's salient part agrees with the
    /// model's mask (<see cref="ColorRefiner.SaliencyBoxAgreement"/>). The model sees the box at 64x64 features and
    /// fills it with whatever stands inside; the colours follow look-alike background; the crop's map knows which
    /// object the box is about at 320x320. Measured with MobileSAM on every image of both dev sets (docs/evaluation.md,
    /// "Box prompts: the box crop's salient-object map"): box mIoU GrabCut 0.9312 / tight 0.9411 -&gt; 0.9350 / 0.9473,
    /// cocomval-dev 0.8458 -&gt; 0.8500 (the plain engine: 0.8699 / 0.8992 and 0.8485); no gate between the refined and the
    /// model's answer came close (same section). Costs one run of the subject model on the crop (0.9 s on a loaded 2-core
    /// machine against 0.08 s for the colour cut). The map's weight stays <see cref="SaliencyWeight"/>. False: the box is
    /// refined with the model and the colours alone.
    /// </summary>
    public bool BoxSaliency { get; init; } = true;

    /// <summary>
    /// Margin of the crop the subject model sees around a box (<see cref="BoxSaliency"/>), as a fraction of the box's
    /// longer side: the crop the box matte's region prior uses (<c>BoxRegionPriorOptions.Margin</c>), so that a host
    /// making both can compute the map once.
    /// </summary>
    public double BoxSaliencyMargin { get; init; } = 0.1;

    /// <summary>
    /// In a click chain, a refinement keeps the previous click's working region when its own lies inside it and the
    /// previous one is at most 1 + this times as large: the grid is then the same, and the colour cut starts from
    /// the previous cut's flow instead of from nothing (about 0.6x of a refinement's time at 1 MP). 0 keeps only an
    /// equal region, which changes no selection. Measured with MobileSAM, 20 clicks (docs/evaluation.md, "The colour
    /// cut from the previous click's graph"): 0.25 lets 86 % of GrabCut's refinements start from the previous flow
    /// (20-60 % of correction clicks at 0) with the same scores, but costs every 2nd cocomval-dev instance NoC90 6.37
    /// -&gt; 6.41 and mIoU@5 0.862 -&gt; 0.856 (a larger region brings more background into small objects' colour
    /// statistics), also when only regions above <see cref="MaxWorkingPixels"/> are kept; hence 0.
    /// </summary>
    public double KeepRegionSlack { get; init; }

    public static ColorRefineOptions Default { get; } = new();

    internal void Validate()
    {
        if (Components is < 1 or > 16) throw new SegArgumentException("colour components", $"must be 1..16, got {Components}");
        if (Rounds is < 1 or > 20) throw new SegArgumentException("colour rounds", $"must be 1..20, got {Rounds}");
        if (!(ModelWeight >= 0 && ModelWeight <= 100)) throw new SegArgumentException("model weight", $"must be between 0 and 100, got {ModelWeight}");
        if (!(ModelTemperature > 0 && ModelTemperature <= 1000)) throw new SegArgumentException("model temperature", $"must be above 0 and at most 1000, got {ModelTemperature}");
        if (!(Smoothness >= 0 && Smoothness <= 1000)) throw new SegArgumentException("smoothness", $"must be between 0 and 1000, got {Smoothness}");
        if (!(SaliencyWeight >= 0 && SaliencyWeight <= 100)) throw new SegArgumentException("saliency weight", $"must be between 0 and 100, got {SaliencyWeight}");
        if (!(Expansion >= 1 && Expansion <= 4)) throw new SegArgumentException("colour region expansion", $"must be between 1 and 4, got {Expansion}");
        if (MaxWorkingPixels < 1024) throw new SegArgumentException("max working pixels", $"must be at least 1024, got {MaxWorkingPixels}");
        if (ClickRadius is < 0 or > 64) throw new SegArgumentException("click radius", $"must be 0..64 pixels, got {ClickRadius}");
        if (!(ClickReach >= 0 && ClickReach <= 1)) throw new SegArgumentException("click reach", $"must be between 0 and 1, got {ClickReach}");
        if (!(KeepRegionSlack >= 0 && KeepRegionSlack <= 10)) throw new SegArgumentException("keep region slack", $"must be between 0 and 10, got {KeepRegionSlack}");
        if (!(BoxSaliencyMargin >= 0 && BoxSaliencyMargin <= 1)) throw new SegArgumentException("box saliency margin", $"must be 0..1 of the box's longer side, got {BoxSaliencyMargin}");
        if (MinBoxSide is < 0 or > 100_000) throw new SegArgumentException("min box side", $"must be 0..100000 pixels, got {MinBoxSide}");
    }
}
