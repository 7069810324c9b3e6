// Home's meetings: the ones I organize or attend from now on, and booking a room (OA's
// bookMeeting; a room taken at that time answers CONFLICT naming input.roomId, shown with its
// code beside the room).
import { useState, type FormEvent } from "react";
import { Failure, Loading, TableHead } from "../components";
import { useI18n } from "../i18n";
import { useQuery } from "../useQuery";
import { Field } from "./Field";
import { describe, localToIso, mutate, otherErrors, unsent, type FieldedError } from "./homeApi";
import { useHomeText } from "./homeText";

interface Meeting {
  id: string;
  title: string;
  start: string;
  end: string;
  room: { name: string };
  organizer: { name: string };
}
interface MeetingsData {
  myMeetings: { edges: { node: Meeting }[] } | null;
  meetingRooms: { id: string; name: string; capacity: number }[] | null;
}

const MEETINGS = `query ConsoleMeetings($from: DateTime) {
  myMeetings(start: $from, first: 20) {
    edges { node { id title start end room { name } organizer { name } } }
  }
  meetingRooms { id name capacity }
}`;
const BOOK = `mutation ConsoleBookMeeting($input: BookMeetingInput!) {
  bookMeeting(input: $input) { id title start end room { name } }
}`;

export function Meetings() {
  const i18n = useI18n();
  const { t } = useHomeText();
  const [from] = useState(() => new Date().toISOString());
  const meetings = useQuery<MeetingsData>(MEETINGS, { from });
  const rooms = meetings.data?.meetingRooms ?? [];
  const list = meetings.data?.myMeetings?.edges.map((e) => e.node) ?? [];
  return (
    <section aria-labelledby="meetings-title" className="card">
      <h2 id="meetings-title">{t("meetingsTitle")}</h2>
      {meetings.failure && <Failure message={meetings.failure} retry={meetings.reload} />}
      {meetings.loading ? (
        <Loading />
      ) : list.length === 0 ? (
        <p>{t("meetingsEmpty")}</p>
      ) : (
        <div className="scroll">
          <table id="my-meetings">
            <TableHead
              columns={[
                t("colMeeting"),
                t("colRoom"),
                t("colStart"),
                t("colEnd"),
                t("colOrganizer"),
              ]}
            />
            <tbody>
              {list.map((m) => (
                <tr key={m.id} data-meeting-id={m.id}>
                  <th scope="row">{m.title}</th>
                  <td>{m.room.name}</td>
                  <td>{i18n.dateTime(m.start)}</td>
                  <td>{i18n.dateTime(m.end)}</td>
                  <td>{m.organizer.name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!meetings.loading && <BookRoom rooms={rooms} booked={meetings.reload} />}
    </section>
  );
}

function BookRoom({
  rooms,
  booked,
}: {
  rooms: { id: string; name: string; capacity: number }[];
  booked: () => void;
}) {
  const { t } = useHomeText();
  const [title, setTitle] = useState("");
  const [roomId, setRoomId] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [errors, setErrors] = useState<FieldedError[]>([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const fields = ["input.title", "input.roomId", "input.start", "input.end"];

  async function book(event: FormEvent) {
    event.preventDefault();
    setErrors([]);
    setDone(null);
    if (!start || !end || !roomId) {
      setErrors([{ message: t("bookNeedsAll") }]);
      return;
    }
    setBusy(true);
    try {
      const input = { title, roomId, start: localToIso(start), end: localToIso(end) };
      const answer = await mutate<{ bookMeeting: { title: string } | null }>(BOOK, { input });
      setErrors(answer.errors);
      if (answer.data?.bookMeeting) {
        setDone(answer.data.bookMeeting.title);
        setTitle("");
        booked();
      }
    } catch (error) {
      setErrors(unsent(error));
    } finally {
      setBusy(false);
    }
  }

  const general = otherErrors(errors, fields);
  const roomErrors = errors.filter((e) => e.extensions?.field === "input.roomId");
  return (
    <form onSubmit={book} noValidate className="book" aria-labelledby="book-title">
      <h3 id="book-title">{t("bookTitle")}</h3>
      {general.length > 0 && (
        <div role="alert" className="alert" id="book-errors">
          {general.map((e, n) => (
            <p key={n}>{describe(e)}</p>
          ))}
        </div>
      )}
      {done && (
        <p role="status" className="ok" id="book-done">
          {t("booked", { title: done })}
        </p>
      )}
      <Field form="book" label={t("meetingTitle")} field="input.title" errors={errors} value={title}
        onValue={setTitle} autoComplete="off" />
      <div className="field">
        <label htmlFor="book-input-roomId">{t("room")}</label>
        <select id="book-input-roomId" value={roomId} onChange={(e) => setRoomId(e.target.value)}
          aria-invalid={roomErrors.length > 0 ? true : undefined}
          aria-describedby={roomErrors.length > 0 ? "book-input-roomId-error" : undefined}>
          <option value="">{t("chooseRoom")}</option>
          {rooms.map((r) => (
            <option key={r.id} value={r.id}>
              {t("roomOption", { name: r.name, capacity: r.capacity })}
            </option>
          ))}
        </select>
        {roomErrors.length > 0 && (
          <p className="field-error alert" id="book-input-roomId-error" data-field="input.roomId">
            {roomErrors.map(describe).join(" ")}
          </p>
        )}
      </div>
      <Field form="book" label={t("start")} field="input.start" errors={errors} value={start}
        onValue={setStart} type="datetime-local" />
      <Field form="book" label={t("end")} field="input.end" errors={errors} value={end} onValue={setEnd}
        type="datetime-local" />
      <button type="submit" className="primary" disabled={busy}>
        {t("bookButton")}
      </button>
    </form>
  );
}
