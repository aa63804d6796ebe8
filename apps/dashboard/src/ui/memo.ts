import { Component, type ComponentType, type FunctionComponent, h } from "preact";
import { shallowEqual } from "../shallowEqual.ts";

/**
 * preact/compat's `memo` without pulling in compat: the component renders
 * again only when a prop changes (by identity). Cards use it so a heartbeat
 * of one agent re-renders one card, not 500.
 */
export const memo = <P extends object>(inner: FunctionComponent<P>): ComponentType<P> => {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !shallowEqual(this.props, next);
    }
    override render(props: P) {
      return h(inner, props);
    }
  }
  return Memo;
};
