/** The fault-injection matrix's 'csv-state' rows (the rows and their checks: matrix.ts). */
import { runMatrixPart } from './matrix.js';

runMatrixPart('csv-state');
