// Name colours (hsl(hue S% var(--name-lightness)) in the stylesheet) against every background a
// name sits on, in both themes, for every hue: at least 4.5:1 (WCAG AA for text).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const css = readFileSync(new URL('../../../public/styles.css', import.meta.url), 'utf8')
  + readFileSync(new URL('../../../public/room.css', import.meta.url), 'utf8');
const [light, dark] = css.split('@media (prefers-color-scheme: dark)');
const variable = (block, name) => block.match(new RegExp(`--${name}:\\s*([^;]+);`))[1].trim();
// Rows (surface), one's own rows (mine), the page and muted panels: where names and the people list sit.
const BACKGROUNDS = ['surface', 'mine', 'bg', 'surface-muted'];

function hslToRgb(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [channel(0), channel(8), channel(4)];
}
const hexToRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
const luminance = (rgb) => {
  const [r, g, b] = rgb.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
export const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

test('the contrast formula agrees with known pairs', () => {
  assert.equal(contrast([0, 0, 0], [1, 1, 1]).toFixed(1), '21.0');
  assert.equal(contrast(hexToRgb('#777777'), [1, 1, 1]).toFixed(2), '4.48');
});

test('every name colour reaches 4.5:1 on every background it sits on, light and dark', () => {
  const saturation = Number(css.match(/\.entry__author,[^{]*\{[^}]*hsl\(var\(--hue, \d+\) (\d+)% var\(--name-lightness\)\)/)[1]);
  for (const [theme, block] of [['light', light], ['dark', dark]]) {
    const lightness = parseFloat(variable(block, 'name-lightness'));
    for (const background of BACKGROUNDS) {
      const behind = hexToRgb(variable(block, background));
      let worst = Infinity;
      for (let hue = 0; hue < 360; hue += 1) {
        worst = Math.min(worst, contrast(hslToRgb(hue, saturation / 100, lightness / 100), behind));
      }
      assert.ok(worst >= 4.5, `${theme} on --${background}: ${worst.toFixed(2)}:1`);
    }
  }
});
