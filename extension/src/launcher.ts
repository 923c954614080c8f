import { ILauncher } from '@jupyterlab/launcher';

import { CommandIDs } from './commands';

/**
 * Add the "MedLab course" card to the launcher: it opens the next lesson
 * (the command labels itself for the card when `isLauncher` is set).
 */
export function addLauncherCard(launcher: ILauncher): void {
  launcher.add({
    command: CommandIDs.openNext,
    category: 'MedLab',
    rank: 0,
    args: { isLauncher: true }
  });
}
