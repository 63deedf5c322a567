using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Editing;

public class FocusCropTests
{
    private const int W = 400, H = 300;

    private static readonly ClickChainOptions FocusFrom2 = new() { Focus = new FocusCropOptions { FromClick = 2 } };

    /// <summary>A disk session on a W x H image whose pixels differ everywhere, and an encoder that opens views on crops of it.</summary>
    private static (Support.DiskSession Session, FocusEncoder Encoder, BgraImage Image) Setup(double radius = 4, int width = W, int height = H)
    {
        var image = new BgraImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var px = image.Row(y).Slice(x * 4, 4);
                px[0] = (byte)x; px[1] = (byte)y; px[2] = (byte)(x >> 8 | (y >> 8) << 4); px[3] = 255;
            }
        var s = new Support.DiskSession(radius);
        s.SetImage(image);
        return (s, new FocusEncoder(image, (crop, _) => s.ForImage(crop)), image);
    }

    [Fact]
    public void PlacesASquareAroundTheBoxOrNoneWhenItWouldBeLarge()
    {
        var o = new FocusCropOptions { FromClick = 2, Expansion = 2, MinSide = 40, MaxImageFraction = 0.5 };
        // A 30x10 box at (100,100): side 60, centred on (115,105).
        Assert.Equal(new PixelRect(85, 75, 60, 60), FocusCrop.Place(100, 100, 129, 109, W, H, o));
        // A tiny box gets the minimum side.
        Assert.Equal(new PixelRect(80, 80, 40, 40), FocusCrop.Place(99, 99, 100, 100, W, H, o));
        // Near a corner the square is shifted inside the image, not cut.
        Assert.Equal(new PixelRect(0, 0, 60, 60), FocusCrop.Place(0, 0, 29, 9, W, H, o));
        Assert.Equal(new PixelRect(W - 60, H - 60, 60, 60), FocusCrop.Place(W - 30, H - 10, W - 1, H - 1, W, H, o));
        // 101 x 2 = 202 is more than half of the long side 400: the whole image answers.
        Assert.Null(FocusCrop.Place(0, 0, 100, 10, W, H, o));
        Assert.NotNull(FocusCrop.Place(0, 0, 99, 10, W, H, o));
    }

    [Fact]
    public void KeepsTheCropWhileSelectionAndClickStayClearOfItsInnerEdges()
    {
        var o = new FocusCropOptions { FromClick = 2, Expansion = 2, MinSide = 40 };
        var selection = FakeSegmentation.Disk(W, H, 100, 100, 5);
        var crop = new PixelRect(70, 70, 60, 60);
        Assert.Equal(crop, FocusCrop.Choose(selection, new PointPrompt(120, 110), crop, o));
        // A click on the crop's last column is on an inner edge: placed again around selection and click.
        var moved = FocusCrop.Choose(selection, new PointPrompt(129, 100), crop, o);
        Assert.NotEqual(crop, moved);
        Assert.Equal(FocusCrop.Place(95, 95, 129, 105, W, H, o), moved);
        // A click outside: placed around both.
        Assert.Equal(FocusCrop.Place(95, 95, 160, 105, W, H, o), FocusCrop.Choose(selection, new PointPrompt(160, 100), crop, o));
        // An image edge is not an inner edge.
        var corner = new PixelRect(0, 0, 60, 60);
        Assert.Equal(corner, FocusCrop.Choose(FakeSegmentation.Disk(W, H, 3, 3, 3), new PointPrompt(0, 0), corner, o));
    }

    [Fact]
    public void LaterClicksAreAnsweredInTheCropWithTheirCoordinatesMappedExactly()
    {
        var (s, encoder, _) = Setup();
        var chain = new ClickChain(s, settings: FocusFrom2, focus: encoder);
        PointPrompt a = new(100.5f, 120.25f), b = new(108, 118, true), c = new(99, 121, false);

        var first = chain.Predict([a]);
        Assert.Single(s.Requests);
        Assert.Empty(s.Views);                       // click 1 is read on the whole image

        var second = chain.Predict([a, b]);
        Assert.Single(s.Requests);                   // the whole image was not asked again
        var view = Assert.Single(s.Views);
        Assert.Equal(1, chain.FocusEncodes);
        // The crop: the minimum side 128 around the first disk and the click, inside the image.
        var rect = FocusCrop.Choose(first.Mask, b, null, FocusFrom2.Focus)!.Value;
        Assert.Equal(128, rect.Width);
        Assert.Equal(128, rect.Height);
        Assert.Equal(rect.Width, view.ImageWidth);
        var r = Assert.Single(view.Requests);
        Assert.Equal(new[] { new PointPrompt(a.X - rect.X, a.Y - rect.Y), new PointPrompt(b.X - rect.X, b.Y - rect.Y) }, r.Points);
        Assert.NotNull(r.MaskInput);                 // the previous selection, cut out, is fed back
        // Pasted back: the union of the two disks, at the image's size.
        var union = FakeSegmentation.Disk(W, H, a.X, a.Y, 4).Union(FakeSegmentation.Disk(W, H, b.X, b.Y, 4));
        Assert.Equal(W, second.Mask.Width);
        Assert.Equal(union.Data, second.Mask.Data);
        Assert.Equal(union.Data, second.Prediction.Mask.Data);
        Assert.Equal(W, second.Logits.Width);
        Assert.Equal(second.Mask.Data, second.Logits.ToMask().Data);

        // Click 3 inside the same crop: no new encoding, the crop's own feedback is fed back.
        var third = chain.Predict([a, b, c]);
        Assert.Equal(1, chain.FocusEncodes);
        Assert.Equal(2, view.Requests.Count);
        Assert.Equal(new PointPrompt(c.X - rect.X, c.Y - rect.Y, false), view.Requests[1].Points[2]);
        Assert.Equal(union.Subtract(FakeSegmentation.Disk(W, H, c.X, c.Y, 4)).Data, third.Mask.Data);
        Assert.Equal(3, chain.DecoderRuns);
    }

    [Fact]
    public void TheCropSessionGetsTheCropsPixels()
    {
        var (s, _, image) = Setup();
        BgraImage? seen = null;
        var encoder = new FocusEncoder(image, (crop, _) => { seen = crop; return s.ForImage(crop); });
        var chain = new ClickChain(s, settings: FocusFrom2, focus: encoder);
        var first = chain.Predict([new PointPrompt(200, 150)]);
        chain.Predict([new PointPrompt(200, 150), new PointPrompt(205, 152)]);
        var rect = FocusCrop.Choose(first.Mask, new PointPrompt(205, 152), null, FocusFrom2.Focus)!.Value;
        Assert.NotNull(seen);
        for (int y = 0; y < rect.Height; y++)
            Assert.True(seen!.Row(y).SequenceEqual(image.Row(rect.Y + y).Slice(rect.X * 4, rect.Width * 4)));
    }

    [Fact]
    public void AClickFarAwayFallsBackToTheWholeImage()
    {
        var (s, encoder, _) = Setup();
        var chain = new ClickChain(s, settings: FocusFrom2, focus: encoder);
        PointPrompt a = new(100, 100), b = new(104, 100), far = new(350, 250);
        chain.Predict([a, b]);
        Assert.Single(s.Requests);
        var r = chain.Predict([a, b, far]);
        // Selection and click span more than half the image: the whole image answers, with every click.
        Assert.Equal(2, s.Requests.Count);
        Assert.Equal(new[] { a, b, far }, s.Requests[1].Points);
        Assert.True(r.Mask[350, 250]);
        Assert.True(r.Mask[100, 100]);
        Assert.Equal(1, chain.FocusEncodes);
    }

    [Fact]
    public void AClickOutsideTheCropButNearFocusesAgain()
    {
        var (s, encoder, _) = Setup();
        var chain = new ClickChain(s, settings: FocusFrom2, focus: encoder);
        PointPrompt a = new(100, 100), b = new(104, 100), near = new(175, 100);
        chain.Predict([a, b]);
        var r = chain.Predict([a, b, near]);
        Assert.Equal(2, chain.FocusEncodes);
        Assert.Single(s.Requests);
        var second = s.Views[1];
        // The new crop holds the old selection and the click, and all three clicks go to it.
        Assert.Equal(3, Assert.Single(second.Requests).Points.Count);
        Assert.True(r.Mask[175, 100] && r.Mask[100, 100] && r.Mask[104, 100]);
    }

    [Fact]
    public void AnAnswerThatReachesTheCropEdgeIsPredictedAgainInALargerCrop()
    {
        // A tight crop (no margin) around a disk of radius 20: the disk of the next click runs over its edge.
        var (s, encoder, _) = Setup(radius: 20);
        var settings = new ClickChainOptions { Focus = new FocusCropOptions { FromClick = 2, Expansion = 1, MinSide = 16 } };
        var chain = new ClickChain(s, settings: settings, focus: encoder);
        PointPrompt a = new(150, 150), b = new(165, 150);
        var r = chain.Predict([a, b]);
        Assert.Equal(2, chain.FocusEncodes);
        var union = FakeSegmentation.Disk(W, H, 150, 150, 20).Union(FakeSegmentation.Disk(W, H, 165, 150, 20));
        Assert.Equal(union.Data, r.Mask.Data);

        var noRefocus = new ClickChain(s, settings: settings with { Focus = settings.Focus with { RefocusOnEdge = false } }, focus: encoder);
        var cut = noRefocus.Predict([a, b]);
        Assert.Equal(1, noRefocus.FocusEncodes);
        Assert.True(cut.Mask.Area() < union.Area()); // cut at the crop's edge
    }

    [Fact]
    public void ChangingAnEarlierClickRecomputesAndReusesTheCropsSession()
    {
        var (s, encoder, _) = Setup();
        var chain = new ClickChain(s, settings: FocusFrom2, focus: encoder);
        PointPrompt a = new(100, 100), b = new(104, 100), c = new(98, 103);
        var first = chain.Predict([a, b, c]);
        Assert.Equal(1, chain.FocusEncodes);
        var again = chain.Predict([a, c, b]);
        // Clicks 2 and 3 recomputed in the same crop: no new encoding.
        Assert.Equal(1, chain.FocusEncodes);
        Assert.Equal(4, s.Views[0].Requests.Count);
        Assert.Equal(first.Mask.Data, again.Mask.Data);
        chain.Clear();
        Assert.True(s.Views[0].Disposed);
        chain.Predict([a, b]);
        Assert.Equal(2, chain.FocusEncodes);
    }

    [Fact]
    public void WithoutAnEncoderOrWithABoxTheWholeImageAnswers()
    {
        var (s, encoder, _) = Setup();
        PointPrompt a = new(100, 100), b = new(104, 100);
        new ClickChain(s, settings: FocusFrom2).Predict([a, b]);
        Assert.Equal(2, s.Requests.Count);
        new ClickChain(s, settings: FocusFrom2, focus: encoder).Predict([a, b], new BoxXyxy(80, 80, 120, 120));
        Assert.Equal(4, s.Requests.Count);
        // Off by default.
        new ClickChain(s, focus: encoder).Predict([a, b]);
        Assert.Equal(6, s.Requests.Count);
        Assert.Empty(s.Views);
    }

    [Fact]
    public void PastesCropsAndTheirLogitsAtTheirPlace()
    {
        var crop = FakeSegmentation.Disk(20, 10, 5, 5, 3);
        var full = new Mask(50, 40);
        full.Data[0] = Mask.On;
        var rect = new PixelRect(7, 9, 20, 10);
        FocusCrop.Paste(crop, rect, full);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 50; x++)
            {
                bool inside = x >= 7 && x < 27 && y >= 9 && y < 19;
                bool expected = inside ? crop[x - 7, y - 9] : x == 0 && y == 0;
                Assert.Equal(expected, full[x, y]);
            }
        var logits = new LogitMap(20, 10);
        for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = i * 0.5f - 3;
        var pasted = FocusCrop.PasteLogits(logits, rect, full);
        Assert.Equal(logits[4, 3], pasted[11, 12]);
        Assert.Equal(MaskFeedback.FlippedLogit, pasted[0, 0]);
        Assert.Equal(-MaskFeedback.FlippedLogit, pasted[49, 39]);
        Assert.True(FocusCrop.TouchesInnerEdge(full, new PixelRect(0, 0, 10, 10)) == false);
        Assert.True(FocusCrop.TouchesInnerEdge(full, new PixelRect(10, 9, 10, 10)));
    }

    [Fact]
    public void BadSettingsAreNamed()
    {
        var (s, encoder, _) = Setup();
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, settings: new ClickChainOptions { Focus = new FocusCropOptions { FromClick = 1 } }, focus: encoder));
        Assert.Contains("focus from click", e.Message);
        e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, settings: new ClickChainOptions { Focus = new FocusCropOptions { FromClick = 2, MaxImageFraction = 0 } }));
        Assert.Contains("focus max image fraction", e.Message);
        e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, focus: new FocusEncoder(new BgraImage(10, 10), encoder.Encode)));
        Assert.Contains("focus encoder image", e.Message);
        // An encoder that answers on another image is named when the crop is asked for.
        var wrong = new ClickChain(s, settings: FocusFrom2, focus: encoder with { Encode = (_, _) => s.ForImage(new BgraImage(5, 5)) });
        e = Assert.Throws<SegArgumentException>(() => wrong.Predict([new PointPrompt(100, 100), new PointPrompt(104, 100)]));
        Assert.Contains("focus encoder", e.Message);
    }

    [Fact]
    public void ResamplesLowResLogitsIntoTheCropsFrame()
    {
        var full = new LogitMap(256, 256);
        for (int i = 0; i < full.Data.Length; i++) full.Data[i] = (i % 256) - 0.25f * (i / 256);
        // The whole image as its own crop: the same cells (400x300 fills 256x192 cells), padding background.
        var same = FocusCrop.Resample(full, W, H, new PixelRect(0, 0, W, H));
        for (int v = 0; v < 192; v++)
            for (int u = 0; u < 256; u++)
                Assert.Equal(full[u, v], same[u, v], 3);
        Assert.Equal(-MaskFeedback.FlippedLogit, same[10, 200]);

        // A step at image column 200 (full-frame cell 128): in a 100x100 crop at (150,100) it lies at crop column 50,
        // cell 128 of the crop's 256 (a crop cell is 100/256 image pixels).
        var step = new LogitMap(256, 256);
        for (int i = 0; i < step.Data.Length; i++) step.Data[i] = (i % 256) >= 128 ? 10f : -10f;
        var crop = FocusCrop.Resample(step, W, H, new PixelRect(150, 100, 100, 100));
        for (int v = 0; v < 256; v += 17)
        {
            Assert.Equal(-10f, crop[100, v], 3);
            Assert.Equal(10f, crop[160, v], 3);
            Assert.True(crop[126, v] < 0 && crop[130, v] > 0);
        }
    }
}
