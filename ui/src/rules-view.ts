// The rule editor's logic: which rules can be edited, applying an edit, and matching the
// engine's errors back to the field they are about.
import type { CommandError } from "./backend";
import type { RuleError } from "./bindings/RuleError";
import type { RuleField } from "./bindings/RuleField";
import type { RuleSpec } from "./bindings/RuleSpec";
import type { RuleView } from "./bindings/RuleView";

/** The fields the editor offers, in order. */
export const EDITABLE: { field: RuleField; label: string; placeholder: string }[] = [
  { field: "when", label: "when", placeholder: "< 0.7" },
  // Empty optional fields say what empty means, not an example that looks like a value.
  { field: "for", label: "for", placeholder: "at once" },
  { field: "recover", label: "recover", placeholder: "when `when` stops" },
  { field: "keep_firing", label: "keep firing", placeholder: "none" },
  { field: "severity", label: "severity", placeholder: "warning" },
];

/** Rules a person may edit and save: a service's own thresholds come from the service. */
export function editableRules(views: RuleView[]): RuleSpec[] {
  return views.filter((v) => v.origin.kind !== "service").map((v) => v.spec);
}

/** A copy of `rules` with one field of one rule set; an empty optional field is removed. */
export function applyEdit(rules: RuleSpec[], index: number, field: RuleField, value: string): RuleSpec[] {
  return rules.map((rule, i) => {
    if (i !== index) return rule;
    const next: RuleSpec = { ...rule };
    const trimmed = value.trim();
    switch (field) {
      case "when":
        next.when = value;
        break;
      case "for":
      case "recover":
      case "keep_firing":
      case "severity":
      case "description": {
        // An emptied optional field is left out, not sent as "".
        const { [field]: _dropped, ...rest } = next;
        return trimmed === "" ? rest : { ...rest, [field]: value };
      }
      case "name":
        next.name = value;
        break;
      case "select":
        break;
    }
    return next;
  });
}

/** The message for one field of one rule, if the engine refused it. */
export function errorFor(errors: RuleError[], rule: string, field: RuleField): string | undefined {
  return errors.find((e) => e.rule === rule && e.field === field)?.message;
}

/** The refused rules of an `invalid_rules` error (`details.errors`); none for any other code. */
export function rejectedErrors(error: CommandError): RuleError[] {
  if (error.code !== "invalid_rules" || error.details === undefined) return [];
  return "errors" in error.details ? error.details.errors : [];
}
