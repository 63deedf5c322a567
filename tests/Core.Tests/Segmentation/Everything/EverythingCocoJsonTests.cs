using System.Globalization;
using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation.Everything;

namespace SegPlugins.Core.Tests.Segmentation.Everything;

/// <summary>The COCO JSON of a segment-everything result, written exactly, whatever the current culture.</summary>
public class EverythingCocoJsonTests
{
    private static EverythingResult TwoMasks()
    {
        var a = new Mask(4, 3);
        a.Data[1] = a.Data[2] = a.Data[5] = 255;
        var b = new Mask(4, 3);
        b.Data[11] = 255;
        var full = new PixelRect(0, 0, 4, 3);
        return new EverythingResult(4, 3, new[]
        {
            new EverythingMask(a, new PixelRect(1, 0, 2, 2), 3, 0.875f, 0.1f, new PointPrompt(1.5f, 0.25f), full),
            new EverythingMask(b, new PixelRect(3, 2, 1, 1), 1, 0.3f, float.NaN, new PointPrompt(3, 2), new PixelRect(2, 1, 2, 2)),
        }, 2, TimeSpan.Zero);
    }

    [Fact]
    public void WritesEveryFieldInvariantlyWithNullForAMissingScore()
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        string json;
        try { json = TwoMasks().ToCocoJson(); }
        finally { CultureInfo.CurrentCulture = before; }

        var r = TwoMasks();
        string Rle(int i) => CocoRle.ToJson(r.Masks[i].Mask);
        string expected = string.Join("\n",
            "[",
            "  {",
            $"    \"segmentation\": {{",
            $"      \"size\": [",
            "        3,",
            "        4",
            "      ],",
            $"      \"counts\": {System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(Rle(0)).RootElement.GetProperty("counts").GetString())}",
            "    },",
            "    \"area\": 3,",
            "    \"bbox\": [", "      1,", "      0,", "      2,", "      2", "    ],",
            "    \"predicted_iou\": 0.875,",
            "    \"point_coords\": [", "      [", "        1.5,", "        0.25", "      ]", "    ],",
            "    \"stability_score\": 0.1,",
            "    \"crop_box\": [", "      0,", "      0,", "      4,", "      3", "    ]",
            "  },",
            "  {",
            $"    \"segmentation\": {{",
            $"      \"size\": [",
            "        3,",
            "        4",
            "      ],",
            $"      \"counts\": {System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(Rle(1)).RootElement.GetProperty("counts").GetString())}",
            "    },",
            "    \"area\": 1,",
            "    \"bbox\": [", "      3,", "      2,", "      1,", "      1", "    ],",
            "    \"predicted_iou\": 0.3,",
            "    \"point_coords\": [", "      [", "        3,", "        2", "      ]", "    ],",
            "    \"stability_score\": null,",
            "    \"crop_box\": [", "      2,", "      1,", "      2,", "      2", "    ]",
            "  }",
            "]",
            "");
        Assert.Equal(expected, json.Replace("\r\n", "\n"));
    }

    [Fact]
    public void SegmentationsDecodeToTheMasks()
    {
        var r = TwoMasks();
        using var doc = System.Text.Json.JsonDocument.Parse(r.ToCocoJson());
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        for (int i = 0; i < 2; i++)
            Assert.Equal(r.Masks[i].Mask.Data, CocoRle.FromJson(items[i].GetProperty("segmentation").GetRawText()).Data);
    }

    [Fact]
    public void SaveWritesTheSameText()
    {
        var r = TwoMasks();
        string path = Path.Combine(Path.GetTempPath(), $"coco-{Guid.NewGuid():N}.json");
        try
        {
            r.SaveCocoJson(path);
            Assert.Equal(r.ToCocoJson(), File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }
}
