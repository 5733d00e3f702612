// Reports the OWL 2 DL profile violations of an ontology file, one per line, using the OWL API that
// ships inside owlready2's HermiT.jar. Exit 0 when the ontology is in OWL 2 DL, 1 when it is not,
// 2 when it cannot be read. Usage: java -cp HermiT.jar:. ProfileCheck FILE
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class ProfileCheck {
    public static void main(String[] args) {
        try {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
            OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println(v.getClass().getSimpleName() + "\t" + v.toString().replace('\n', ' '));
            }
            System.exit(report.isInProfile() ? 0 : 1);
        } catch (Exception e) {
            System.out.println("error\t" + e.toString().replace('\n', ' '));
            System.exit(2);
        }
    }
}
