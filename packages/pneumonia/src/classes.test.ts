import { describe, expect, it } from 'vitest';
import { labelFor, patientId } from './classes.js';

describe('labels and patients from Kaggle names', () => {
  it('labels from the folder and, for pneumonia, the file name', () => {
    expect(labelFor('NORMAL', 'IM-0115-0001.jpeg', 'three-class')).toBe(0);
    expect(labelFor('PNEUMONIA', 'person1_bacteria_1.jpeg', 'three-class')).toBe(1);
    expect(labelFor('PNEUMONIA', 'person1000_virus_1681.jpeg', 'three-class')).toBe(2);
    expect(labelFor('PNEUMONIA', 'person1000_virus_1681.jpeg', 'binary')).toBe(1);
    expect(labelFor('PNEUMONIA', 'scan.jpeg', 'three-class')).toBeNull();
    expect(labelFor('OTHER', 'x.jpeg', 'binary')).toBeNull();
  });

  it('patient ids', () => {
    expect(patientId('person123_bacteria_4.jpeg')).toBe('person123');
    expect(patientId('person123_virus_9.jpeg')).toBe('person123');
    expect(patientId('IM-0115-0001.jpeg')).toBe('IM-0115');
    expect(patientId('NORMAL2-IM-0135-0001.jpeg')).toBe('NORMAL2-IM-0135');
    expect(patientId('odd.png')).toBe('odd');
  });
});
