/**
 * axe-core (the engine behind Lighthouse's accessibility audit) run inside the page under test.
 * It is evaluated through the DevTools protocol, so the page's Content-Security-Policy (scripts
 * from itself only) stays as it is in production.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Violations of WCAG 2.x A/AA rules and axe's best practices on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // Page-side code as source text: the tests are type-checked without the DOM library.
  return page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  })()`);
}

/** The serious and critical ones: what the tests refuse. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  return (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Presses Tab (at most `max` times) until the focused element matches `selector`; false if it never does. */
export async function tabTo(page: Page, selector: string, max = 60, backwards = false): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    if (await focusedMatches(page, selector)) return true;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  return focusedMatches(page, selector);
}

async function focusedMatches(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`);
}

/** The focused element draws a visible focus ring (an outline that is not `none` and not 0 wide). */
export async function focusRingShown(page: Page): Promise<boolean> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const style = getComputedStyle(el);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  })()`);
}
