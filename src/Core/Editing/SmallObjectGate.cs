using System.Buffers;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>What <see cref="SmallObjectGateOptions"/> measures of the first click's answer to judge the object's size.</summary>
public enum SmallObjectMeasure
{
    /// <summary>The model's own answer to the click alone (its chosen proposal, before any prior or colours) as a share of the image's pixels.</summary>
    AnswerShare,
    /// <summary>The largest of the model's proposals for the click alone, as a share of the image's pixels.</summary>
    LargestProposalShare,
    /// <summary>The shorter side of the box around the model's own answer to the click alone, in image pixels.</summary>
    AnswerMinSide,
    /// <summary>The same shorter side in the model's frame: image pixels scaled so the image's long side is 1024.</summary>
    AnswerMinSide1024,
    /// <summary>
    /// The answer the colour-fused chain would refine (the subject guide's reading of the click when the chain has a
    /// saliency map, else the model's own), before colours, as a share of the image's pixels.
    /// </summary>
    GuidedShare,
    /// <summary>The colour-fused chain's selection after the first click (the guided answer refined with colours), as a share of the image's pixels.</summary>
    RefinedShare,
}

/// <summary>
/// When a <see cref="ClickChain"/> with colour fusion runs as the plain engine instead: on an object that looks small
/// at the first click, or (<see cref="SubjectAgreementBelow"/>) one that is not the photo's salient object, no subject
/// prior, no colour refinement, its own merge (<see cref="ClickChainOptions.PlainMerge"/>), the model's own answers with its own
/// logits fed back (what the chain does without a saliency map and colour fusion). Decided once, from what the chain
/// has made of the first click (the model's answers, the subject guide's choice, the salient-object map under the click or
/// the colour-refined selection: never
/// anything the user has not shown it), and held for the chain; or (<see cref="ExcludedSubjectDepth"/>) at the first
/// correction, when it excludes deep inside the salient object the subject prior chose; with
/// <see cref="ReturnAbove"/> a later answer that has grown past it brings colour fusion back for the rest of the chain.
/// The focus crop (<see cref="ClickChainOptions.Focus"/>, off by default) still refines with colours inside its crop on
/// a chain the gate sent to the plain engine; the two were not measured together.
/// </summary>
public sealed record SmallObjectGateOptions
{
    /// <summary>What is measured of the first click's answer (<see cref="SmallObjectMeasure"/>); <see cref="SmallObjectMeasure.GuidedShare"/> unless set.</summary>
    public SmallObjectMeasure Measure { get; init; } = SmallObjectMeasure.GuidedShare;

    /// <summary>
    /// An object whose measure is under this runs as the plain engine: a share of the image (0..1) for the share
    /// measures, pixels for the side measures. 0 turns the gate off.
    /// </summary>
    public double Below { get; init; }

    /// <summary>
    /// With a value above 0 (and above <see cref="Below"/>), a chain that went plain at the first click turns colour
    /// fusion back on from the first later answer whose measure reaches this (the same measure, of the selection, or
    /// of its box; the largest-proposal measure reads the answer itself here). 0 = the chain stays plain, the default:
    /// with the default gate, switching back at 3 % or 5 % of the image takes fewer images over a 0.05 IoU loss on
    /// cocomval-dev (23.0 -> 22.2 %) but costs clicks (NoC90 5.69 -> 5.71 / 5.72, mIoU@5 0.880 -> 0.878;
    /// docs/evaluation.md, "Small objects: the plain engine").
    /// </summary>
    public double ReturnAbove { get; init; }

    /// <summary>
    /// A second condition, read from the saliency map the chain already has: the click's guided answer (the one
    /// <see cref="SmallObjectMeasure.GuidedShare"/> measures) overlaps the salient region under the click (the map at or
    /// above <see cref="Segmentation.SubjectGuidanceOptions.SaliencyThreshold"/>, the connected part holding the clicked
    /// pixel; none when the click is off it) by an IoU under this, so the target is not the photo's salient object, and
    /// the answer covers under <see cref="SubjectAgreementMaxShare"/> of the image: the chain runs as the plain engine.
    /// Checked only on a first click read with the subject prior (a saliency map, a positive click and no drawn box).
    /// 0 = off, the value of <see cref="Default"/>; <see cref="ClickChainOptions.SmallGuidedAnswerGate"/> sets 0.5.
    /// </summary>
    public double SubjectAgreementBelow { get; init; }

    /// <summary>
    /// The largest guided answer (share of the image, 0..1] that <see cref="SubjectAgreementBelow"/> sends to the plain
    /// engine: above it the colour-fused chain keeps it. 1 = no limit. <see cref="ClickChainOptions.SmallGuidedAnswerGate"/> sets 0.25.
    /// </summary>
    public double SubjectAgreementMaxShare { get; init; } = 1;

    /// <summary>
    /// A third condition, read at the first correction: the click excludes, lies inside the first selection deeper than
    /// this fraction of the selection's largest inner depth (as <see cref="Segmentation.CorrectionGuardOptions.EdgeDepth"/>
    /// measures it), and the first click's guided answer was the photo's salient object (its IoU with the whole salient
    /// region, the map at or above <see cref="Segmentation.SubjectGuidanceOptions.SaliencyThreshold"/>, at least
    /// <see cref="ExcludedSubjectAgreement"/>). The user has then said that the salient object the prior chose is not the
    /// target, so the chain answers that click, and the rest, as the plain engine would have from the first click on: the
    /// model's own first answer is fed back instead of the guided, colour-refined selection. The first click's
    /// selection is kept as it was shown (undoing the correction gives it back). Checked only on a chain whose first
    /// click was read with the subject prior. 0 = off, the value of <see cref="Default"/>;
    /// <see cref="ClickChainOptions.SmallGuidedAnswerGate"/> sets 0.7 with <see cref="ExcludedSubjectAgreement"/> 0.85.
    /// </summary>
    public double ExcludedSubjectDepth { get; init; }

    /// <summary>
    /// The least IoU of the first click's guided answer with the salient region for <see cref="ExcludedSubjectDepth"/>
    /// to apply, 0..1.
    /// </summary>
    public double ExcludedSubjectAgreement { get; init; }

    /// <summary>The gate off (<see cref="Below"/> and <see cref="SubjectAgreementBelow"/> 0). <see cref="ClickChainOptions.SmallObject"/>'s default is <see cref="ClickChainOptions.SmallGuidedAnswerGate"/>.</summary>
    public static SmallObjectGateOptions Default { get; } = new();

    /// <summary>True when the gate can send a chain to the plain engine.</summary>
    public bool Enabled => Below > 0 || SubjectAgreementBelow > 0 || ExcludedSubjectDepth > 0;

    /// <summary>
    /// True when the second condition (<see cref="SubjectAgreementBelow"/>) sends the chain to the plain engine: the
    /// guided first answer <paramref name="guided"/> to <paramref name="click"/> is under <see cref="SubjectAgreementMaxShare"/>
    /// of the image and overlaps the salient region under the click (<paramref name="saliency"/> at or above
    /// <paramref name="threshold"/>) by an IoU under <see cref="SubjectAgreementBelow"/>.
    /// </summary>
    internal bool OffSubject(Mask guided, PointPrompt click, LogitMap saliency, float threshold)
    {
        if (!(SubjectAgreementBelow > 0)) return false;
        if (guided.Area() / ((double)guided.Width * guided.Height) >= SubjectAgreementMaxShare) return false;
        var region = saliency.ToMask(threshold).KeepComponentsContaining(click);
        return guided.IoU(region) < SubjectAgreementBelow;
    }

    /// <summary>
    /// True when the first correction <paramref name="click"/> turns the chain plain (<see cref="ExcludedSubjectDepth"/>):
    /// an exclude click deep inside <paramref name="first"/>, the first selection, whose guided answer overlapped the
    /// salient region by <paramref name="subjectAgreement"/>.
    /// </summary>
    internal bool ExcludesSubject(Mask first, PointPrompt click, double subjectAgreement)
    {
        if (!(ExcludedSubjectDepth > 0) || click.Positive || !(subjectAgreement >= ExcludedSubjectAgreement)) return false;
        int x = Math.Clamp((int)click.X, 0, first.Width - 1), y = Math.Clamp((int)click.Y, 0, first.Height - 1);
        return first[x, y] && !Segmentation.CorrectionGuard.IsEdgeClick(first, click, ExcludedSubjectDepth);
    }

    /// <summary>
    /// The guided first answer's IoU with the whole salient region (<see cref="ExcludedSubjectAgreement"/>'s measure),
    /// <c>guided.IoU(saliency.ToMask(threshold))</c> without an image-sized mask: the map is thresholded a stripe at a
    /// time (a 12 MP photo's mask would add 12 MB to the first click's peak).
    /// </summary>
    internal static double SubjectAgreement(Mask guided, LogitMap saliency, float threshold)
    {
        MaskChecks.SameSize(guided.Width, guided.Height, saliency.Width, saliency.Height, "guided answer", "saliency map");
        const int Stripe = 1 << 16;
        var region = ArrayPool<byte>.Shared.Rent(Stripe);
        try
        {
            long inter = 0, union = 0;
            for (int start = 0; start < guided.Data.Length; start += Stripe)
            {
                int n = Math.Min(Stripe, guided.Data.Length - start);
                ByteOps.Threshold(saliency.Data.AsSpan(start, n), threshold, region.AsSpan(0, n));
                OverlapKernel.IntersectionUnion(guided.Data.AsSpan(start, n), region.AsSpan(0, n), out long i, out long u);
                inter += i;
                union += u;
            }
            return union == 0 ? 1.0 : (double)inter / union;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(region);
        }
    }

    /// <summary>True for the measures given as a share of the image, false for the ones in pixels.</summary>
    public bool IsShare => Measure is not (SmallObjectMeasure.AnswerMinSide or SmallObjectMeasure.AnswerMinSide1024);

    /// <summary>True when the measure is read from the model's own answer to the click alone (the plain engine's first answer).</summary>
    internal bool ReadsOwnAnswer => Measure is not (SmallObjectMeasure.GuidedShare or SmallObjectMeasure.RefinedShare);

    /// <summary>The measure of the first click's answer <paramref name="prediction"/> (the click alone) on a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    internal double Of(MaskPrediction prediction, int width, int height)
    {
        if (Measure == SmallObjectMeasure.LargestProposalShare)
        {
            long largest = 0;
            foreach (var p in prediction.Proposals) largest = Math.Max(largest, prediction.MaskOf(p).Area());
            return (double)largest / ((double)width * height);
        }
        return Of(prediction.Mask);
    }

    /// <summary>The measure of a selection (used for <see cref="ReturnAbove"/>, and for the answer's own measures).</summary>
    internal double Of(Mask mask)
    {
        switch (Measure)
        {
            case SmallObjectMeasure.AnswerMinSide:
            case SmallObjectMeasure.AnswerMinSide1024:
                if (mask.BoundingBox() is not { } box) return 0;
                double side = Math.Min(box.Width, box.Height);
                return Measure == SmallObjectMeasure.AnswerMinSide ? side : side * 1024.0 / Math.Max(mask.Width, mask.Height);
            default:
                return mask.Area() / ((double)mask.Width * mask.Height);
        }
    }

    internal void Validate()
    {
        if (!Enum.IsDefined(Measure)) throw new SegArgumentException("small object measure", $"'{Measure}' is not a measure; expected one of {string.Join(", ", Enum.GetNames<SmallObjectMeasure>())}");
        double max = IsShare ? 1 : 100_000;
        string unit = IsShare ? "a share of the image, 0..1" : "pixels, 0..100000";
        if (!(Below >= 0 && Below <= max)) throw new SegArgumentException("small object below", $"must be {unit} (0 = off) for {Measure}, got {Below}");
        if (!(ReturnAbove >= 0 && ReturnAbove <= max)) throw new SegArgumentException("small object return above", $"must be {unit} (0 = never) for {Measure}, got {ReturnAbove}");
        if (!(SubjectAgreementBelow >= 0 && SubjectAgreementBelow <= 1)) throw new SegArgumentException("small object subject agreement below", $"must be an IoU, 0..1 (0 = off), got {SubjectAgreementBelow}");
        if (!(ExcludedSubjectDepth >= 0 && ExcludedSubjectDepth < 1)) throw new SegArgumentException("small object excluded subject depth", $"must be a fraction of the selection's largest inner depth, 0..1 (0 = off), got {ExcludedSubjectDepth}");
        if (!(ExcludedSubjectAgreement >= 0 && ExcludedSubjectAgreement <= 1)) throw new SegArgumentException("small object excluded subject agreement", $"must be an IoU, 0..1, got {ExcludedSubjectAgreement}");
        if (!(SubjectAgreementMaxShare > 0 && SubjectAgreementMaxShare <= 1)) throw new SegArgumentException("small object subject agreement max share", $"must be a share of the image above 0 and at most 1 (1 = no limit), got {SubjectAgreementMaxShare}");
        if (ReturnAbove > 0 && ReturnAbove <= Below)
            throw new SegArgumentException("small object return above", $"must be above 'below' ({Below}) so a chain does not switch back and forth, got {ReturnAbove}");
    }
}
