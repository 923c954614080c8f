import { LabIcon } from '@jupyterlab/ui-components';

/**
 * The MedLab mark: an axial chest CT slice (the body outline, both lungs and the
 * spine), drawn with JupyterLab's icon classes so it follows light and dark themes:
 * `jp-icon3` paints the outline (a ring: JupyterLab's icon CSS recolours every
 * `fill`, even "none") and the spine in the theme's icon colour, `jp-icon-brand1`
 * the lungs in the brand colour.
 */
const MEDLAB_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" data-medlab-icon="axial-ct">
<title>MedLab</title>
<path class="jp-icon3" fill="#616161" fill-rule="evenodd" d="M1.2 12.2a10.8 8.8 0 1 0 21.6 0a10.8 8.8 0 1 0-21.6 0zM2.8 12.2a9.2 7.2 0 1 0 18.4 0a9.2 7.2 0 1 0-18.4 0z"/>
<path class="jp-icon-brand1" fill="#1976d2" d="M9.6 6.9C7.2 6.5 4.6 8.6 4.4 11.8C4.2 14.6 5.8 16.5 7.9 16.3C9.2 16.2 9.9 15.3 9.7 13.9C9 12.4 8.9 9.5 9.6 6.9Z"/>
<path class="jp-icon-brand1" fill="#1976d2" d="M14.4 6.9C16.8 6.5 19.4 8.6 19.6 11.8C19.8 14.6 18.2 16.5 16.1 16.3C14.8 16.2 14.1 15.3 14.3 13.9C15 12.4 15.1 9.5 14.4 6.9Z"/>
<circle class="jp-icon3" fill="#616161" cx="12" cy="16.7" r="1.4"/>
</svg>`;

/** The MedLab icon: launcher card, side panel tab, commands and scan files. */
export const medlabIcon = new LabIcon({
  name: 'medlab:axial-ct',
  svgstr: MEDLAB_SVG
});
