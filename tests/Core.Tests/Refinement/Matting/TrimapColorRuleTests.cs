using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Refinement.Matting.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Refinement.Matting;

/// <summary>The colour rule of <see cref="SelectionTrimap"/> (<see cref="SelectionTrimapOptions.ColorEvidence"/>).</summary>
public class TrimapColorRuleTests
{
    private const int W = 120, H = 120;
    private static readonly byte[] Curtain = [130, 100, 110]; // BGR: a purple-grey background
    private static readonly byte[] Leaf = [40, 150, 60];       // BGR: green

    // Narrow band (2 px) and a colour zone (18 px) wide enough for the branches at this small size.
    private static readonly SelectionTrimapOptions Options = new() { EdgeBand = 0.02, ColorZone = 0.15 };

    /// <summary>
    /// A solid green crown (x in 28..100, y in 20..100) whose left side is a fringe of one-pixel vertical branches
    /// (x = 20 and 26, each with a half-blended pixel on its right, alpha 0.5) with the curtain between them (x = 22..25),
    /// over the curtain. Slight noise everywhere. Returns the image and the true alpha.
    /// </summary>
    private static (BgraImage Image, float[] Alpha) Branches()
    {
        var rng = new Random(7);
        var img = new BgraImage(W, H);
        var alpha = new float[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                float a = 0;
                bool inSquare = x is >= 20 and < 100 && y is >= 20 and < 100;
                bool crown = inSquare && x >= 28;
                bool fringe = inSquare && x < 28;
                if (crown) a = 1;
                else if (fringe && (x - 20) % 6 == 0) a = 1;
                else if (fringe && (x - 20) % 6 == 1) a = 0.5f;
                alpha[y * W + x] = a;
                var px = img.Row(y).Slice(4 * x, 4);
                for (int c = 0; c < 3; c++)
                    px[c] = (byte)Math.Clamp(a * Leaf[c] + (1 - a) * Curtain[c] + rng.Next(-3, 4), 0, 255);
                px[3] = 255;
            }
        return (img, alpha);
    }

    /// <summary>The selection a model gives for such a crown: the whole square, gaps between the branches included.</summary>
    private static Mask FilledSquare()
    {
        var sel = new Mask(W, H);
        for (int y = 20; y < 100; y++) for (int x = 20; x < 100; x++) sel.Data[y * W + x] = Mask.On;
        return sel;
    }

    [Fact]
    public void TheBackgroundSeenBetweenBranchesBecomesKnownBackground()
    {
        var (img, _) = Branches();
        var sel = FilledSquare();
        var logits = SelectionMatting.ConfidentLogits(sel);
        var t = SelectionTrimap.Build(img, logits, sel, Options);
        var without = SelectionTrimap.Build(img, logits, sel, Options with { ColorEvidence = 0 });
        byte At(Trimap m, int x, int y) => m.Data[y * W + x];
        // Row 50: the curtain between the branches (x = 22 is the band's last pixel).
        for (int x = 23; x <= 25; x++)
        {
            Assert.Equal(Trimap.Foreground, At(without, x, 50));
            Assert.Equal(Trimap.Background, At(t, x, 50));
        }
        Assert.NotEqual(Trimap.Background, At(t, 26, 50)); // the branch
        Assert.NotEqual(Trimap.Background, At(t, 27, 50)); // its blend (half branch)
        // Deeper than the zone the selection decides, as before; outside the selection nothing changes.
        Assert.Equal(Trimap.Foreground, At(t, 60, 60));
        for (int i = 0; i < t.Data.Length; i++)
            if (sel.Data[i] == 0) Assert.Equal(without.Data[i], t.Data[i]);
    }

    [Fact]
    public void TheMatteOfAFilledSelectionGetsTheGapsRight()
    {
        var (img, truth) = Branches();
        var sel = FilledSquare();
        var logits = SelectionMatting.ConfidentLogits(sel);
        double Sad(SelectionTrimapOptions o)
        {
            var a = SelectionMatting.FromSelection(img, logits, sel, o).Alpha.ToFloats();
            double s = 0;
            for (int i = 0; i < a.Length; i++) s += Math.Abs(a[i] - truth[i]);
            return s;
        }
        double with = Sad(Options), without = Sad(Options with { ColorEvidence = 0 });
        // Without the rule every curtain pixel between the branches is alpha 1 (about 300 pixels' worth of error).
        Assert.True(with < 0.5 * without, $"SAD with the rule {with:0}, without {without:0}");
    }

    [Fact]
    public void RowLoopMatchesAPlainPerPixelClassification()
    {
        var (img, _) = Branches();
        var sel = FilledSquare();
        var logits = SelectionMatting.ConfidentLogits(sel);
        // A guard that is sure of the fringe's upper half only, so guarded and unguarded curtain pixels both occur.
        var guard = new LogitMap(W, H);
        for (int y = 0; y < 60; y++) for (int x = 0; x < 40; x++) guard.Data[y * W + x] = 1f;
        var o = Options with { GuardedColorZone = 0.25 };
        var t = SelectionTrimap.Build(img, logits, sel, o, guard);
        var plain = SelectionTrimap.Build(img, logits, sel, o with { ColorEvidence = 0 }).Data;
        int r = o.EdgeRadius(W, H);
        var sure = sel.Shrink(r);
        var (fg, bg) = TrimapColorEvidence.FitSides(img, sel, sure, sel.Grow(r), o.ColorRingRadius(W, H), o.ColorComponents, o.ColorEvidence, o.ColorMinSeparation)!.Value;
        var core = sel.Shrink(o.ColorZoneRadius(W, H, guarded: true));
        int relabelled = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = y * W + x;
                if (sel.Data[i] == 0 || core.Data[i] != 0 || plain[i] != Trimap.Foreground) continue;
                var px = img.Row(y).Slice(4 * x, 4);
                uint color = (uint)(px[2] << 16 | px[1] << 8 | px[0]);
                double d = bg.BestLog(color, out _) - fg.BestLog(color, out _);
                plain[i] = d > o.ColorEvidence ? (guard.Data[i] >= o.SubjectGuard ? Trimap.Unknown : Trimap.Background)
                    : d < -o.ColorEvidence ? Trimap.Foreground : Trimap.Unknown;
                if (plain[i] != Trimap.Foreground) relabelled++;
            }
        Assert.True(relabelled > 100, $"only {relabelled} pixels relabelled");
        Assert.Equal(Trimap.Unknown, t.Data[40 * W + 24]); // curtain under the guard
        Assert.Equal(Trimap.Background, t.Data[80 * W + 24]); // curtain outside it
        Assert.Equal(plain, t.Data);
    }

    [Fact]
    public void AHardDiscKeepsItsNarrowBand()
    {
        var rng = new Random(3);
        var img = new BgraImage(W, H);
        var sel = new Mask(W, H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                bool inside = (x - 60) * (x - 60) + (y - 60) * (y - 60) < 35 * 35;
                if (inside) sel.Data[y * W + x] = Mask.On;
                var px = img.Row(y).Slice(4 * x, 4);
                byte[] c = inside ? [30, 40, 200] : [200, 120, 40];
                for (int k = 0; k < 3; k++) px[k] = (byte)Math.Clamp(c[k] + rng.Next(-4, 5), 0, 255);
                px[3] = 255;
            }
        var logits = SelectionMatting.ConfidentLogits(sel);
        var t = SelectionTrimap.Build(img, logits, sel, Options);
        var without = SelectionTrimap.Build(img, logits, sel, Options with { ColorEvidence = 0 });
        Assert.Equal(without.Data, t.Data);
        Assert.Equal(Trimap.Foreground, t.Data[60 * W + 60 - 32]); // 3 px inside the edge: past the 2 px band
    }

    [Fact]
    public void ColoursThatDoNotSeparateTheSidesLeaveTheBandAlone()
    {
        var rng = new Random(5);
        var img = new BgraImage(W, H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                var px = img.Row(y).Slice(4 * x, 4);
                px[0] = px[1] = px[2] = (byte)(120 + rng.Next(-20, 21));
                px[3] = 255;
            }
        var sel = FilledSquare();
        var logits = SelectionMatting.ConfidentLogits(sel);
        Assert.Equal(SelectionTrimap.Build(img, logits, sel, Options with { ColorEvidence = 0 }).Data,
            SelectionTrimap.Build(img, logits, sel, Options).Data);
    }

    [Fact]
    public void TheSubjectMapKeepsSolidDarkPartsOfTheObjectFromBecomingHoles()
    {
        // A green square with a black pupil (x 26..29, y 50..53) near its left edge, before a background whose lower
        // half is black ground: the colours alone take the pupil for the ground.
        var rng = new Random(11);
        var img = new BgraImage(W, H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                bool square = x is >= 20 and < 100 && y is >= 20 and < 100;
                bool pupil = x is >= 26 and < 30 && y is >= 50 and < 54;
                byte[] c = pupil ? [12, 12, 12] : square ? Leaf : y >= H / 2 ? [12, 12, 12] : Curtain;
                var px = img.Row(y).Slice(4 * x, 4);
                for (int k = 0; k < 3; k++) px[k] = (byte)Math.Clamp(c[k] + rng.Next(-3, 4), 0, 255);
                px[3] = 255;
            }
        var sel = FilledSquare();
        var logits = SelectionMatting.ConfidentLogits(sel);
        var sure = new LogitMap(W, H);
        for (int i = 0; i < sel.Data.Length; i++) sure.Data[i] = sel.Data[i] != 0 ? 1f : 0f;
        var o = Options with { GuardedColorZone = 0.15 };
        int at = 52 * W + 28;
        Assert.Equal(Trimap.Background, SelectionTrimap.Build(img, logits, sel, o).Data[at]);
        Assert.Equal(Trimap.Unknown, SelectionTrimap.Build(img, logits, sel, o, sure).Data[at]);
        // Where the map is unsure, colours decide again.
        var unsure = new LogitMap(W, H);
        Array.Fill(unsure.Data, 0.9f);
        Assert.Equal(Trimap.Background, SelectionTrimap.Build(img, logits, sel, o, unsure).Data[at]);
        // The guarded zone is its own width: 0 leaves the pupil to the selection.
        Assert.Equal(Trimap.Foreground, SelectionTrimap.Build(img, logits, sel, o with { GuardedColorZone = 0 }, unsure).Data[at]);
    }

    [Fact]
    public void ASubjectMapOfAnotherSizeIsRefused()
    {
        var sel = FilledSquare();
        var e = Assert.Throws<SegArgumentException>(() =>
            SelectionTrimap.Build(new BgraImage(W, H), SelectionMatting.ConfidentLogits(sel), sel, null, new LogitMap(W, H - 1)));
        Assert.Contains("subject saliency", e.Message);
    }

    [Theory]
    [InlineData(-0.1, 0.12, "subject guard")]
    [InlineData(1.5, 0.12, "subject guard")]
    [InlineData(0.995, 0.5, "guarded colour zone")]
    [InlineData(0.995, -0.1, "guarded colour zone")]
    public void BadGuardSettingsAreRefusedByName(double guard, double zone, string name)
    {
        var sel = FilledSquare();
        var o = new SelectionTrimapOptions { SubjectGuard = (float)guard, GuardedColorZone = zone };
        var e = Assert.Throws<SegArgumentException>(() => SelectionTrimap.Build(new BgraImage(W, H), SelectionMatting.ConfidentLogits(sel), sel, o));
        Assert.Contains(name, e.Message);
    }

    [Theory]
    [InlineData("colour evidence", -1.0, 0.05, 0.05, 10, 0.5)]
    [InlineData("colour evidence", double.NaN, 0.05, 0.05, 10, 0.5)]
    [InlineData("colour zone", 2.0, 0.3, 0.05, 10, 0.5)]
    [InlineData("colour ring", 2.0, 0.05, 0.0, 10, 0.5)]
    [InlineData("colour components", 2.0, 0.05, 0.05, 0, 0.5)]
    [InlineData("colour components", 2.0, 0.05, 0.05, 33, 0.5)]
    [InlineData("colour min separation", 2.0, 0.05, 0.05, 10, 1.5)]
    public void BadColourRuleSettingsAreRefusedByName(string name, double evidence, double zone, double ring, int components, double separation)
    {
        var o = new SelectionTrimapOptions
        {
            ColorEvidence = (float)evidence, ColorZone = zone, ColorRing = ring, ColorComponents = components, ColorMinSeparation = separation,
        };
        var sel = FilledSquare();
        var e = Assert.Throws<SegArgumentException>(() => SelectionTrimap.Build(new BgraImage(W, H), SelectionMatting.ConfidentLogits(sel), sel, o));
        Assert.Contains(name, e.Message);
    }
}
