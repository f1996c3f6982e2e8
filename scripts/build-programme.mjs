// Builds attachments/programme.pdf from attachments/programme.txt (run: npm run programme).
// Format of the source: "# title", "## heading", "time | item | who", or a plain paragraph.
import { createWriteStream, readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';

const source = new URL('../attachments/programme.txt', import.meta.url);
const target = new URL('../attachments/programme.pdf', import.meta.url);
const doc = new PDFDocument({
  size: 'A4',
  margin: 56,
  // A fixed date keeps the file the same from one build to the next.
  info: { Title: 'Programme – Social Innovation in BSR 2nd workshop', Author: 'BISER', CreationDate: new Date('2026-11-27T00:00:00Z') },
});
doc.pipe(createWriteStream(target));
for (const line of readFileSync(source, 'utf8').split('\n')) {
  if (line.startsWith('## ')) doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text(line.slice(3)).moveDown(0.4);
  else if (line.startsWith('# ')) doc.font('Helvetica-Bold').fontSize(20).fillColor('#0b5fa5').text(line.slice(2)).fillColor('black');
  else if (line.includes(' | ')) {
    const [time, item, who] = line.split(' | ');
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(11).text(time, 56, y, { width: 90 });
    doc.font('Helvetica').text(item, 150, y, { width: 390 });
    if (who) doc.font('Helvetica-Oblique').fillColor('#555555').text(who, 150, doc.y, { width: 390 }).fillColor('black');
    doc.x = 56;
    doc.moveDown(0.5);
  } else if (line.trim()) doc.font('Helvetica').fontSize(11).text(line, 56).moveDown(0.2);
}
doc.end();
