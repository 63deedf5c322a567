// Cuts the main subject out onto a transparent background.
//
//   segplug run recipes/cutout.csx photos/*.jpg --out cutouts
//
// Arguments (all optional):
//   --arg grow=PX       grow (positive) or shrink (negative) the selection before cutting, in pixels (default 0)
//   --arg feather=PX    soft edge width in pixels (default 0: hard edge)
//   --arg min-island=N  drop selected specks smaller than N pixels (default 64)
//   --arg decontaminate=true  pull background colour out of edge pixels (default false)
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
