// Selects the main subject, grows it, and subtracts a second object picked by a click: for example a person
// minus the phone in their hand, with a safety margin around both.
//
//   segplug run recipes/grow-subtract.csx shots/ --arg grow=6 --arg exclude=420,310 --arg margin=3
//
// Arguments (checked before the first image):
// @arg grow: int = 4  grow the subject by this many pixels
// @arg exclude: point?  a click on the object to remove from the subject
// @arg margin: int = 2  grow the removed object by this many pixels first
// @arg max-hole: int = 256  fill holes up to N pixels in the result
// @arg min-island: int = 64  drop islands smaller than N pixels
//
// Output: {name}-mask.png and {name}-cutout.png.

int grow = ArgInt("grow", 4);
int margin = ArgInt("margin", 2);
if (grow < 0 || margin < 0)
    throw new SegArgumentException("--arg grow/margin", "must be 0 or more pixels");

Mask mask = SelectSubject().Mask.Grow(grow);

if (Args.TryGetValue("exclude", out var click))
{
    var xy = click.Split(',');
    if (xy.Length != 2
        || !float.TryParse(xy[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x)
        || !float.TryParse(xy[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var y))
        throw new SegArgumentException("--arg exclude", $"expected X,Y in pixels, got \"{click}\"");
    Mask removed = SelectPoints((x, y, true)).Mask;
    mask = mask.Subtract(margin > 0 ? removed.Grow(margin) : removed);
}

mask = mask.FillHoles(ArgInt("max-hole", 256)).RemoveIslands(ArgInt("min-island", 64));
Save(mask, "{name}-mask.png");
Save(Compositor.CutOut(Input, mask), "{name}-cutout.png");
