// Small shared UI helpers.

/**
 * Marks a button busy (or not) while its request runs. `aria-disabled`, not `disabled`: a
 * disabled button leaves the tab order and drops keyboard focus to the page's start.
 * Returns false when the button was already busy (a second press while waiting).
 */
export function setBusy(button, busy) {
  const was = button.getAttribute("aria-disabled") === "true";
  if (busy && was) return false;
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
  return true;
}
