// Colours of the 亩均效益 classes (A best … D worst; T exempt, shown apart), shared by the
// dashboard and the main map's class layer.

/** Fill of each class; an evaluated enterprise out of scope (no class) is grey. */
export const CLASS_COLORS = { A: "#1a9850", B: "#91cf60", C: "#fdae61", D: "#d73027", T: "#8c8c8c" };
/** Fill of an enterprise's parcels when it has no class (规下 below the area evaluated). */
export const NO_CLASS_COLOR = "#cccccc";
