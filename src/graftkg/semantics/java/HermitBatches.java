import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLIndividual;
import org.semanticweb.owlapi.model.OWLNamedIndividual;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.reasoner.InconsistentOntologyException;

/**
 * HermiT over many batches in one Java process (graftkg's HermitReasoner).
 *
 * <p>Reads the path of an ontology file (the definitions and one batch of transplants) from each line of
 * standard input; classifies it with a new HermiT reasoner; prints every named type, inferred and
 * asserted, of each individual asserted to be of the class named by the first argument, one line
 * {@code Type( <individual> <class> )} each, then {@code END}. A batch HermiT finds inconsistent ends
 * with {@code INCONSISTENT} instead, one it fails on with {@code FAILED <reason>}; the next line is then
 * read as before. Starting Java and loading HermiT once, rather than once a batch, is most of the time
 * a batch of one transplant takes.
 */
public final class HermitBatches {
    private HermitBatches() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
        IRI target = IRI.create(args[0]);
        String path;
        while ((path = in.readLine()) != null) {
            if (path.isEmpty()) {
                continue;
            }
            List<String> lines = new ArrayList<String>();
            String end = "END";
            try {
                OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
                OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(path));
                OWLClass cls = manager.getOWLDataFactory().getOWLClass(target);
                Reasoner reasoner = new Reasoner(new Configuration(), ontology);
                try {
                    for (OWLIndividual individual : cls.getIndividuals(ontology)) {
                        if (!individual.isNamed()) {
                            continue;
                        }
                        OWLNamedIndividual named = individual.asOWLNamedIndividual();
                        for (OWLClass type : reasoner.getTypes(named, false).getFlattened()) {
                            lines.add("Type( <" + named.getIRI() + "> <" + type.getIRI() + "> )");
                        }
                    }
                } finally {
                    reasoner.dispose();
                }
            } catch (InconsistentOntologyException e) {
                lines.clear();
                end = "INCONSISTENT";
            } catch (Throwable e) {
                lines.clear();
                end = ("FAILED " + e).replace('\n', ' ').replace('\r', ' ');
            }
            for (String line : lines) {
                out.println(line);
            }
            out.println(end);
            out.flush();
        }
    }
}
