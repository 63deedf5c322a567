using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>What a <see cref="ClickChain"/> with colour fusion feeds back to the decoder with the next click.</summary>
public enum FusionFeedback
{
    /// <summary>The colour-refined selection turned into low-res logits (<see cref="MaskFeedback"/>): the next click starts from what the user sees.</summary>
    RefinedSelection,
    /// <summary>The model's own low-res logits of the proposal the selection came from: SAM gets the kind of mask input it was trained on.</summary>
    ModelLogits,
}

/// <summary>
/// Every setting of a <see cref="ClickChain"/> in one place: how the first click uses the subject prior, what is
/// fed back after colour refinement, and when the <see cref="CorrectionGuard"/> reconsiders an answer. The defaults
/// are the measured ones (docs/evaluation.md, "Click quality on two dev sets"). Validated when the chain is made.
/// </summary>
public sealed record ClickChainOptions
{
    /// <summary>How the first click is read with the salient-object map (when the chain has one).</summary>
    public SubjectGuidanceOptions Subject { get; init; } = SubjectGuidanceOptions.Default;

    /// <summary>Colour refinement settings (with colour fusion); null for <see cref="ColorRefineOptions.Default"/>.</summary>
    public ColorRefineOptions? ColorRefine { get; init; }

    /// <summary>What goes back to the decoder after a colour-refined answer.</summary>
    public FusionFeedback Feedback { get; init; } = FusionFeedback.RefinedSelection;

    /// <summary>
    /// With colour fusion, the colour-refined selection is kept only where it agrees with the model's answer at
    /// least this well (IoU); otherwise the model's answer stands. A refinement that moves far from the model has
    /// usually followed a look-alike colour region. 0 = always refine.
    /// </summary>
    public double ClickColorMinAgreement { get; init; }

    /// <summary>The same gate for a box alone (a box with no clicks). 0 = always refine.</summary>
    public double BoxColorMinAgreement { get; init; }

    /// <summary>
    /// With colour fusion, only the first this many clicks are refined with colours; a later click's answer is the
    /// model's own, and its own low-res logits go back with the next click (the click after the last refined one still
    /// starts from what that one fed back, see <see cref="Feedback"/>). A box alone is always refined. 0 = every click,
    /// the default: refining the first click only (1) brings the default close to the plain engine on the COCO photos
    /// (every 2nd cocomval-dev instance, 20 clicks: NoC90 6.35 -> 6.23, mIoU@5 0.856 -> 0.881) but costs GrabCut what
    /// made it good (NoC90 1.48 -> 1.92, mIoU@3 0.945 -> 0.886; docs/evaluation.md, "Colour refinement after the first
    /// click").
    /// </summary>
    public int ColorRefineClicks { get; init; }

    /// <summary>
    /// With <see cref="ColorRefineClicks"/>, a later click is still refined on an image where the colours have kept
    /// to the model so far: at every refined click the refined selection and the model's answer agreed at least this
    /// well (IoU). Once a refined click falls below, the rest of the chain gives the model's own answers. 0 = not used
    /// (with neither this nor <see cref="LaterColorMinSeparation"/>, no later click is refined), the default: on GrabCut
    /// it stops refining where the colours were right (NoC90 1.48 -> 1.76 at 0.7, 1.94 at 0.9; docs/evaluation.md,
    /// "Colour refinement after the first click").
    /// </summary>
    public double LaterColorMinAgreement { get; init; }

    /// <summary>
    /// With <see cref="ColorRefineClicks"/>, a later click is still refined on an image where colours alone separate
    /// the object well: at every refined click the pixels whose colour is likelier under the selection's colour model
    /// than under its surroundings' overlap the refined selection by at least this IoU (in the refinement's working
    /// region). With <see cref="LaterColorMinAgreement"/> too, both must hold. 0 = not used, the default: measured with
    /// <see cref="ColorRefineClicks"/> 1 it does not tell COCO photos from GrabCut's (at 0.4 it keeps refining nearly
    /// every image of both sets, at 0.75 GrabCut loses as much as without it; docs/evaluation.md, same section).
    /// </summary>
    public double LaterColorMinSeparation { get; init; }

    /// <summary>
    /// After a correction click, when the decoder's answer contradicts one of the clicks (an include click left out,
    /// an exclude click kept), the proposal that agrees with the most clicks replaces it (on a tie the one that keeps
    /// more of the previous selection).
    /// </summary>
    public bool ClickConsistency { get; init; }

    /// <summary>When the <see cref="CorrectionGuard"/> reconsiders an answer.</summary>
    public CorrectionGuardOptions Guard { get; init; } = CorrectionGuardOptions.Default;

    /// <summary>
    /// Guard collapses after clicks away from the edge also without colour fusion (<see cref="CorrectionGuardOptions.CollapsedArea"/>).
    /// Off: on the chains the default gate sends to the plain engine it costs cocomval-dev NoC85 / NoC90 3.84 / 5.65 -> 3.87
    /// / 5.68 and mIoU@3 0.819 -> 0.815 without fewer collapses (25.5 -> 25.7 %); GrabCut unchanged (docs/evaluation.md,
    /// "The collapse guard on the plain engine's chains").
    /// </summary>
    public bool GuardCollapseAlways { get; init; }

    /// <summary>
    /// Whether, from which click on, and how locally a correction click's answer is merged into the previous selection
    /// (<see cref="ProgressiveMerge"/>) instead of replacing it. The default is <see cref="EdgeBandMerge"/>: from click 2,
    /// a click near the edge (<c>EdgeDepth</c> 0.25) changes the selection only in a band along its whole edge twice as
    /// wide as the click's distance to it (<c>EdgeBand</c> 2); an answer that ignores the click stands; with colour fusion
    /// only, so the plain engine is unchanged. Measured with <c>fused</c> over 20 clicks against no merge: GrabCut NoC90
    /// 1.48 -> 1.46, mIoU@2/@3/@5 0.875 / 0.945 / 0.973 -> 0.900 / 0.948 / 0.974, images losing over 0.05 IoU at some
    /// click 30 -> 18 %; all 474 cocomval-dev instances NoC85 / NoC90 4.18 / 5.96 -> 4.12 / 5.93, mIoU@2/@3/@5
    /// 0.708 / 0.793 / 0.867 -> 0.732 / 0.803 / 0.872, 37.6 -> 25.3 %, no score worse on either set (on the every-2nd
    /// sample alone NoC90 was 6.35 -> 6.37). The square window (<c>EdgeWindow</c> 3) costs clicks on the COCO photos
    /// (NoC90 6.49 -> 6.92 on every 6th); on the plain engine every merge measured costs clicks (docs/evaluation.md,
    /// "The collapse after a correction click" and "A band along the edge"). <see cref="ProgressiveMergeOptions.Default"/>
    /// turns merging off.
    /// </summary>
    public ProgressiveMergeOptions Merge { get; init; } = EdgeBandMerge;

    /// <summary>
    /// The merge for the answers of a chain the small-object gate sent to the plain engine (<see cref="SmallObject"/>);
    /// <see cref="Merge"/> serves the colour-fused answers. The default, <see cref="PlainEdgeMerge"/>, is the fused chain's
    /// band merge for clicks closer to the edge (<see cref="ProgressiveMergeOptions.EdgeDepth"/> 0.15 instead of 0.25).
    /// Measured with the gate's first-correction condition at 0.75 / 0.9: cocomval-dev from 26.2 to 22.8 % of images
    /// losing over 0.05 IoU at some click, with NoC90 5.62 -> 5.61 and mIoU@3 / @5 0.825 / 0.889 -> 0.827 / 0.890 (NoC85
    /// 3.755 -> 3.760); GrabCut unchanged. The fused chain's own setting (0.25) takes it to 21.3 % but costs NoC90 (5.68),
    /// as does 0.2 (5.67, 21.5 %); 0.1 gives 5.63 and 23.8 % (docs/evaluation.md, "A deep exclude click in the salient
    /// object, and a merge for the plain engine's answers"). <see cref="ProgressiveMergeOptions.Default"/> turns it off.
    /// </summary>
    public ProgressiveMergeOptions PlainMerge { get; init; } = PlainEdgeMerge;

    /// <summary>The default merge of the gate's plain answers (see <see cref="PlainMerge"/>): <c>{"PlainMerge": {"FromClick": 2, "EdgeBand": 2, "EdgeDepth": 0.15, "IgnoredClickTakesAnswer": true}}</c>.</summary>
    /// <remarks>Declared before <see cref="Default"/>, whose instance reads it while the type's statics are set up.</remarks>
    public static ProgressiveMergeOptions PlainEdgeMerge { get; } = new()
    {
        FromClick = 2, EdgeBand = 2, EdgeDepth = 0.15, IgnoredClickTakesAnswer = true,
    };

    /// <summary>The default merge (see <see cref="Merge"/>): <c>{"Merge": {"FromClick": 2, "EdgeBand": 2, "EdgeDepth": 0.25, "IgnoredClickTakesAnswer": true, "ColorFusionOnly": true}}</c>.</summary>
    /// <remarks>Declared before <see cref="Default"/>, whose instance reads it while the type's statics are set up.</remarks>
    public static ProgressiveMergeOptions EdgeBandMerge { get; } = new()
    {
        FromClick = 2, EdgeBand = 2, EdgeDepth = 0.25, IgnoredClickTakesAnswer = true, ColorFusionOnly = true,
    };

    /// <summary>
    /// From which click on, and around what, a small selection is answered in a re-encoded crop (<see cref="FocusCropOptions"/>);
    /// needs a <see cref="FocusEncoder"/> in the chain. Off by default: from click 2 it needs fewer clicks with the plain
    /// engine on small COCO objects (NoC90 9.09 -> 8.65) but collapses on more images (23 -> 42 %), is neutral on every 8th
    /// cocomval-dev instance and worse with colour fusion (NoC90 6.52 -> 6.87); GrabCut's large objects hardly use it
    /// (docs/evaluation.md, "Focus crop").
    /// </summary>
    public FocusCropOptions Focus { get; init; } = FocusCropOptions.Default;

    /// <summary>
    /// When a chain with colour fusion gives the plain engine's answers instead: on an object that looks small at the
    /// first click, or that is not the photo's salient object (<see cref="SmallObjectGateOptions"/>). The default is
    /// <see cref="SmallGuidedAnswerGate"/>: the answer the chain would refine after click 1 (the subject guide's reading,
    /// before colours) covers under 1 % of the image, or under 25 % of it while overlapping the salient region under the
    /// click by an IoU under 0.5. Chosen on the per-image 20-click runs of both dev sets (docs/evaluation.md, "Small
    /// objects: the plain engine" and "Not the salient object: the plain engine"). The size condition alone sends 83 of
    /// the 474 cocomval-dev instances and none of GrabCut's 50 (its smallest object reads 1.9 %) to the plain engine;
    /// cocomval-dev NoC85 / NoC90 4.12 / 5.93 -> 3.99 / 5.69, mIoU@1 / @3 / @5 0.600 / 0.803 / 0.872 -> 0.602 / 0.810 /
    /// 0.880, images losing over 0.05 IoU at some click 25.3 -> 23.0 %; GrabCut unchanged. The saliency condition on top
    /// sends 217 cocomval-dev instances and 4 GrabCut images: cocomval-dev NoC85 / NoC90 3.99 / 5.69 -> 3.84 / 5.65,
    /// mIoU@1 / @3 / @5 0.602 / 0.810 / 0.880 -> 0.604 / 0.819 / 0.885, but 23.0 -> 25.5 % of images losing over 0.05;
    /// GrabCut NoC90 1.46 -> 1.42, mIoU@3 / @5 0.948 / 0.974 -> 0.949 / 0.975, 18 -> 14 % losing over 0.05. The model's own
    /// answer, its largest proposal or its box side as the size measure, and the clicked pixel's saliency or the mean
    /// saliency inside the answer as the saliency measure, cost GrabCut or gained less on cocomval-dev. The third condition
    /// (a first correction that excludes deeper than 0.7 of the first selection's largest inner depth, where the guided
    /// answer overlapped the whole salient region by 0.85 or more) turns 38 more cocomval-dev chains plain at click 2 and no
    /// GrabCut chain; with <see cref="PlainMerge"/>: cocomval-dev NoC85 / NoC90 3.84 / 5.65 -> 3.72 / 5.62, mIoU@2 / @3 /
    /// @5 0.745 / 0.819 / 0.885 -> 0.760 / 0.833 / 0.893, 25.5 -> 22.8 % losing over 0.05 (docs/evaluation.md, "A deep
    /// exclude click in the salient object, and a merge for the plain engine's answers").
    /// <see cref="SmallObjectGateOptions.Default"/> turns the gate off.
    /// </summary>
    public SmallObjectGateOptions SmallObject { get; init; } = SmallGuidedAnswerGate;

    /// <summary>
    /// The default small-object gate (see <see cref="SmallObject"/>):
    /// <c>{"SmallObject": {"Measure": "GuidedShare", "Below": 0.01, "SubjectAgreementBelow": 0.5, "SubjectAgreementMaxShare": 0.25,
    /// "ExcludedSubjectDepth": 0.7, "ExcludedSubjectAgreement": 0.85}}</c>.
    /// </summary>
    /// <remarks>Declared before <see cref="Default"/>, whose instance reads it while the type's statics are set up.</remarks>
    public static SmallObjectGateOptions SmallGuidedAnswerGate { get; } = new()
    {
        Measure = SmallObjectMeasure.GuidedShare, Below = 0.01, SubjectAgreementBelow = 0.5, SubjectAgreementMaxShare = 0.25,
        ExcludedSubjectDepth = 0.7, ExcludedSubjectAgreement = 0.85,
    };

    /// <summary>
    /// A correction click far from the selection's edge answered on its own (<see cref="PartClickOptions"/>): an include
    /// click off the selection, not touching it, united with the selection; an exclude click deep inside cut out. Off by
    /// default (<see cref="PartClickOptions.Default"/>): with <c>fused</c> over 20 clicks, answering every include click
    /// deeper than 0.25 alone costs GrabCut clicks (NoC90 1.46 -> 1.48, mIoU@3 0.948 -> 0.944); only where the joint
    /// answer more than doubled the selection (<c>PartWhenJointGrows</c> 2) GrabCut is unchanged and every 2nd
    /// cocomval-dev instance collapses less (22.4 -> 19.4 %) but loses mIoU@2/@3/@5 (0.736 / 0.813 / 0.875 -> 0.724 /
    /// 0.800 / 0.873), because where the selection before the click was a small wrong piece the joint answer's jump was
    /// right; adding only to a selection the decoder scored 0.9 or more (<c>PartMinPreviousScore</c> 0.9) gains NoC90,
    /// mIoU@5 and collapse on every 3rd cocomval-dev instance (5.74 -> 5.72, 0.879 -> 0.881, 21.5 -> 20.3 %) but loses
    /// NoC85 and mIoU@2 (3.92 -> 3.94, 0.740 -> 0.738); cutting holes costs GrabCut NoC90 1.46 -> 1.84 (every deep exclude
    /// click) or 1.70 (where the joint answer kept under half). docs/evaluation.md, "Why answers still collapse, and clicks on separate parts".
    /// </summary>
    public PartClickOptions Parts { get; init; } = PartClickOptions.Default;

    public static ClickChainOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Subject, nameof(Subject));
        Subject.Validate();
        ColorRefine?.Validate();
        if (!Enum.IsDefined(Feedback)) throw new SegArgumentException("fusion feedback", $"'{Feedback}' is not a feedback kind");
        if (!(ClickColorMinAgreement >= 0 && ClickColorMinAgreement <= 1)) throw new SegArgumentException("click colour min agreement", $"must be between 0 and 1, got {ClickColorMinAgreement}");
        if (!(BoxColorMinAgreement >= 0 && BoxColorMinAgreement <= 1)) throw new SegArgumentException("box colour min agreement", $"must be between 0 and 1, got {BoxColorMinAgreement}");
        if (ColorRefineClicks < 0) throw new SegArgumentException("colour refine clicks", $"must be 0 (every click) or more, got {ColorRefineClicks}");
        if (!(LaterColorMinAgreement >= 0 && LaterColorMinAgreement <= 1)) throw new SegArgumentException("later colour min agreement", $"must be between 0 and 1, got {LaterColorMinAgreement}");
        if (!(LaterColorMinSeparation >= 0 && LaterColorMinSeparation <= 1)) throw new SegArgumentException("later colour min separation", $"must be between 0 and 1, got {LaterColorMinSeparation}");
        ArgumentNullException.ThrowIfNull(Guard, nameof(Guard));
        Guard.Validate();
        ArgumentNullException.ThrowIfNull(Merge, nameof(Merge));
        Merge.Validate();
        ArgumentNullException.ThrowIfNull(PlainMerge, nameof(PlainMerge));
        PlainMerge.Validate();
        ArgumentNullException.ThrowIfNull(Focus, nameof(Focus));
        Focus.Validate();
        ArgumentNullException.ThrowIfNull(SmallObject, nameof(SmallObject));
        SmallObject.Validate();
        ArgumentNullException.ThrowIfNull(Parts, nameof(Parts));
        Parts.Validate();
    }
}
