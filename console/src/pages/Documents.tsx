// Home's documents: those I own or that are shared with me, last changed first, each with a
// link to its newest version's content (served by the gateway to those who may read it).
import { Failure, Loading, TableHead } from "../components";
import { useI18n } from "../i18n";
import { useQuery } from "../useQuery";
import { useHomeText } from "./homeText";

interface DocumentsData {
  documents: {
    edges: {
      node: {
        id: string;
        title: string;
        folder: string;
        updatedAt: string;
        owner: { name: string };
        latestVersion: { number: number; downloadUrl: string } | null;
      };
    }[];
  } | null;
}

const DOCUMENTS = `query ConsoleDocuments {
  documents(first: 20) {
    edges { node { id title folder updatedAt owner { name } latestVersion { number downloadUrl } } }
  }
}`;

export function Documents() {
  const i18n = useI18n();
  const { t } = useHomeText();
  const documents = useQuery<DocumentsData>(DOCUMENTS, {});
  const list = documents.data?.documents?.edges.map((e) => e.node) ?? [];
  return (
    <section aria-labelledby="documents-title" className="card">
      <h2 id="documents-title">{t("documentsTitle")}</h2>
      {documents.failure && <Failure message={documents.failure} retry={documents.reload} />}
      {documents.loading ? (
        <Loading />
      ) : list.length === 0 ? (
        <p>{t("documentsEmpty")}</p>
      ) : (
        <div className="scroll">
          <table id="my-documents">
            <TableHead
              columns={[
                t("colDocument"),
                t("colFolder"),
                t("colOwner"),
                t("colChanged"),
              ]}
            />
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-document-id={d.id}>
                  <th scope="row">
                    {d.latestVersion ? (
                      <a href={d.latestVersion.downloadUrl}>
                        {d.title}
                        <span className="muted"> {t("version", { number: d.latestVersion.number })}</span>
                      </a>
                    ) : (
                      d.title
                    )}
                  </th>
                  <td>{d.folder}</td>
                  <td>{d.owner.name}</td>
                  <td>{i18n.dateTime(d.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
