import { describe, expect, it } from "vitest";
import type { CommandError } from "./backend";
import type { RuleView } from "./bindings/RuleView";
import { applyEdit, editableRules, errorFor, rejectedErrors } from "./rules-view";

const rule = (name: string, kind: "config" | "default" | "service"): RuleView => ({
  spec: { name, select: { series: "cache.hit_rate" }, when: "< 0.7", for: "5m" },
  origin: kind === "service" ? { kind, service: "orders" } : { kind },
  summary: "",
});

describe("rule editor", () => {
  it("offers every rule but a service's own", () => {
    expect(editableRules([rule("a", "default"), rule("b", "service"), rule("c", "config")]).map((r) => r.name)).toEqual(["a", "c"]);
  });

  it("edits one field of one rule and drops emptied optional fields", () => {
    const rules = editableRules([rule("a", "default"), rule("c", "config")]);
    const edited = applyEdit(rules, 1, "when", "< 0.5");
    expect(edited[1]?.when).toBe("< 0.5");
    expect(edited[0]).toBe(rules[0]);
    expect("for" in (applyEdit(rules, 0, "for", "  ")[0] ?? {})).toBe(false);
  });

  it("finds the engine's message for a field", () => {
    const error: CommandError = { code: "invalid_rules", message: "1 bad rule", details: { errors: [{ rule: "a", field: "recover", message: "must be above 0.7" }] } };
    const errors = rejectedErrors(error);
    expect(errorFor(errors, "a", "recover")).toBe("must be above 0.7");
    expect(errorFor(errors, "a", "when")).toBeUndefined();
    expect(rejectedErrors({ code: "unexpected", message: "boom" })).toEqual([]);
    expect(rejectedErrors({ code: "refused", message: "no", details: { refusal: "in_flight", overridable: false } })).toEqual([]);
  });
});
