// Moved to devenv/joomla-release.ts (npm run local uses it too). This re-export keeps bench/ imports working
// until they point at devenv/ directly; new code imports devenv/.
export * from "../../devenv/joomla-release";
