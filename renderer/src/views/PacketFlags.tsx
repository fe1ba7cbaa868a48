/** A packet whose path is not whole says so wherever it is listed. */
export function PacketFlags(props: { cut?: boolean | undefined; partial?: boolean | undefined }) {
  return (
    <>
      {props.partial && (
        <span className="pkt-flag" title="first seen mid-way: its start is missing" data-flag="partial">
          partial
        </span>
      )}
      {props.cut && (
        <span
          className="pkt-flag"
          title="still in flight when the trace ended: its end is missing"
          data-flag="cut"
        >
          cut
        </span>
      )}
    </>
  );
}
