// Cuts the main subject out onto a transparent background.
//
//   segplug run recipes/cutout.csx photos/*.jpg --out cutouts
//
// Arguments (checked before the first image; 'segplug run recipes/cutout.csx --help' lists them):
// @arg grow: int = 0  grow (positive) or shrink (negative) the selection before cutting, in pixels
// @arg feather: number = 0  soft edge width in pixels (0: hard edge)
// @arg min-island: int = 64  drop selected specks smaller than N pixels
// @arg decontaminate: bool = false  pull background colour out of edge pixels
//
// Output: {name}-cutout.png (RGBA, straight alpha).

int grow = ArgInt("grow", 0);
double feather = ArgDouble("feather", 0);
long minIsland = ArgInt("min-island", 64);
var options = new CutOutOptions(decontaminate: ArgBool("decontaminate", false));

var subject = SelectSubject();
Mask mask = subject.Mask;
if (mask.IsEmpty)
    throw new SegInputException(InputPath, "no subject found (the model selected nothing)");
if (minIsland > 0) mask = mask.RemoveIslands(minIsland);
if (grow > 0) mask = mask.Grow(grow);
else if (grow < 0) mask = mask.Shrink(-grow);

BgraImage result = feather > 0 ? CutOut(mask.Feather((float)feather), options) : CutOut(mask, options);
Save(result, "{name}-cutout.png");
Log($"subject {mask.Area()} px, score {subject.Score:0.00}");
