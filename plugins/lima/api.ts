/**
 * The lima plugin's public face: all that another plugin may use of it (docs/decisions.md, decision 35).
 * The docker, onepassword, launchd, nixos and wezterm plugins reach Lima through this module, and a
 * plugin importing any other file of another plugin's folder is a lint error (biome.json). It is small
 * on purpose, and loads none of lima's option parsing or tasks: only what it names.
 *
 * What it offers, each a function of the task context (`t`), so plan mode and the run's one
 * `limactl list` hold for every caller:
 * - **state and version**: `limaState(t)` (the instances as the run's one `limactl list --json` sees
 *   them: status, folder; `invalidate()` after a change), `limaVersion(t)`, `limaHome(t)`, `LimaInstance`;
 * - **the instance lifecycle**: `createVm`, `startVm`, `stopVm`, `deleteVm` (each invalidates the run's
 *   list; start, stop and delete refresh the guest facts too), and `creationYaml(t.vm, base)`, the
 *   lima.yaml a new instance is made from;
 * - **the host alias** ssh and WezTerm know the VM by: `hostAlias(instance)` (`lima-<instance>`);
 * - **a Mac service in the guest** through a reverse socket forward (decisions 20 and 21): a
 *   `HostService` names its two ends; `forwardRule` and `guestSocketTemplate` go into the VM spec;
 *   `linkTask` keeps `<instance dir>/sock/<link>` pointing at the socket, `removeLinkTask` undoes it;
 *   `linkPath`, `readLink`, `currentLink` look at it; `healForward` re-creates a dead forward over
 *   Lima's ssh master; `waitAfterBoot` gives a freshly booted VM time to set its forwards up;
 * - **guest probes**: `guestProbe` and `markStale` (a guest fact, read again after an apply changed it),
 *   `parseProbe`, `socketProbeLines`, `OS_ID_SCRIPT`;
 * - **sizes** as Lima reads them: `parseSize('12GiB')`.
 */
export {
  currentLink,
  forwardRule,
  guestProbe,
  guestSocketTemplate,
  type HostService,
  healForward,
  type LinkTarget,
  linkPath,
  linkTask,
  markStale,
  OS_ID_SCRIPT,
  parseProbe,
  readLink,
  removeLinkTask,
  socketProbeLines,
  waitAfterBoot,
} from './forward.ts';
export { createVm, deleteVm, startVm, stopVm } from './lifecycle.ts';
export { creationYaml } from './lima-yaml.ts';
export { hostAlias, type LimaInstance, type LimaState, limaHome, limaState, limaVersion } from './limactl.ts';
export { parseSize } from './sizes.ts';
